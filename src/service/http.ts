/**
 * The OpenAI-compatible HTTP API: bound to 127.0.0.1 only, a bearer token on every route but
 * /health, JSON or SSE answers, errors in OpenAI's shape. A client that goes away mid-stream
 * cancels its generation.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AutoGlmError, BusyError, ModelLoadError, errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import type { GenerateStats } from '../engine';
import type { EngineHost, HostRequest } from './engineHost';
import type { Gauges, ServiceMetrics } from './metrics';
import { ApiError, finishReason, fimPrompt, invalid, parseChatCompletion, parseCompletion, type SamplingParams } from './openai';
import { newSpanId, newTraceId, sanitizeTraceId, traceIdFromTraceparent } from './trace';

export interface HttpApiOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  token: string;
  /** Largest accepted request body in bytes; default 1 MiB. */
  maxBodyBytes?: number;
  /** Longest a generation may run, in ms; default 300 000. */
  generationTimeoutMs?: number;
  /** Longest the client may take to send headers and body, in ms; default 30 000. */
  requestTimeoutMs?: number;
  /** Log prompt and completion text (off by default). */
  logPrompts?: boolean;
}

export interface HttpApiDeps {
  host: EngineHost;
  metrics: ServiceMetrics;
  logger: Logger;
  gauges: () => Gauges;
  /** Called on every request so that the idle timer knows the service is in use. */
  onActivity: () => void;
}

export interface HttpApi {
  url: string;
  server: http.Server;
  /** Requests being answered now (the idle timer does not stop a service in the middle of one). */
  active(): number;
  close(): Promise<void>;
}

const ROUTES = new Set(['/health', '/metrics', '/v1/models', '/v1/completions', '/v1/chat/completions']);

export async function startHttpApi(options: HttpApiOptions, deps: HttpApiDeps): Promise<HttpApi> {
  const expected = Buffer.from(options.token);
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  let active = 0;
  const server = http.createServer((req, res) => {
    deps.onActivity();
    active++;
    res.once('close', () => {
      active--;
      deps.onActivity();
    });
    handle(req, res).catch((err: unknown) => {
      deps.logger.error('http handler failed', { error: err });
      if (!res.headersSent) {
        sendError(res, new ApiError(500, 'Internal error', 'server_error'));
      } else {
        res.destroy();
      }
    });
  });
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);

  function authorized(req: http.IncomingMessage): ApiError | undefined {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      return new ApiError(401, 'Missing bearer token: send "Authorization: Bearer <token>" (the token file is named by `autoglm serve`).', 'invalid_request_error', 'missing_api_key');
    }
    const given = Buffer.from(m[1]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return new ApiError(401, 'Incorrect bearer token.', 'invalid_request_error', 'invalid_api_key');
    }
    return undefined;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = ROUTES.has(url.pathname) ? url.pathname : url.pathname.startsWith('/v1/models/') ? '/v1/models/{id}' : 'other';
    const traceId = traceIdFromTraceparent(header(req, 'traceparent')) ?? sanitizeTraceId(header(req, 'x-request-id')) ?? newTraceId();
    const log = deps.logger.child({ traceId, spanId: newSpanId(), component: 'http' });
    res.setHeader('x-request-id', traceId);
    res.on('finish', () => {
      deps.metrics.httpRequests.inc({ route, status: String(res.statusCode) });
      log.info('http request', { method: req.method, route, status: res.statusCode, ms: Math.round(performance.now() - started) });
    });
    try {
      await dispatch(req, res, url, route, log);
    } catch (err) {
      if (err instanceof ApiError) {
        if (!res.headersSent) {
          sendError(res, err);
        } else {
          sseError(res, err);
        }
        return;
      }
      throw err;
    }
  }

  async function dispatch(req: http.IncomingMessage, res: http.ServerResponse, url: URL, route: string, log: Logger): Promise<void> {
    if (route === '/health') {
      allow(req, ['GET', 'HEAD']);
      const info = deps.host.modelInfo();
      const status = info.loadError !== undefined && !info.loaded ? 'error' : 'ok';
      sendJson(res, status === 'ok' ? 200 : 503, { status, model: info.name, loaded: info.loaded });
      return;
    }
    if (route === 'other') {
      throw new ApiError(404, `Unknown route ${url.pathname}`, 'invalid_request_error', 'not_found');
    }
    const denied = authorized(req);
    if (denied) {
      throw denied;
    }
    switch (route) {
      case '/metrics': {
        allow(req, ['GET']);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(deps.metrics.render(deps.gauges()));
        return;
      }
      case '/v1/models': {
        allow(req, ['GET']);
        sendJson(res, 200, { object: 'list', data: [modelObject()] });
        return;
      }
      case '/v1/models/{id}': {
        allow(req, ['GET']);
        checkModel(decodeURIComponent(url.pathname.slice('/v1/models/'.length)));
        sendJson(res, 200, modelObject());
        return;
      }
      case '/v1/completions': {
        allow(req, ['POST']);
        const p = parseCompletion(await readJson(req, maxBody));
        checkModel(p.model);
        const prompt = p.suffix !== undefined ? fimPrompt(p.prompt, p.suffix) : p.prompt;
        if (options.logPrompts) log.debug('completion prompt', { prompt });
        await respond(req, res, log, 'completions', p, { prompt: { text: prompt }, priority: 'interactive' });
        return;
      }
      case '/v1/chat/completions': {
        allow(req, ['POST']);
        const p = parseChatCompletion(await readJson(req, maxBody));
        checkModel(p.model);
        if (options.logPrompts) log.debug('chat messages', { messages: p.messages });
        await respond(req, res, log, 'chat', p, { prompt: { messages: p.messages }, priority: 'chat' });
        return;
      }
      default:
        throw new ApiError(404, `Unknown route ${url.pathname}`, 'invalid_request_error', 'not_found');
    }
  }

  function modelObject(): { id: string; object: 'model'; created: number; owned_by: string } {
    return { id: deps.host.modelInfo().name, object: 'model', created: Math.floor(startedAt / 1000), owned_by: 'open-autoglm' };
  }

  function checkModel(model: string | undefined): void {
    const name = deps.host.modelInfo().name;
    if (model !== undefined && model !== name) {
      throw new ApiError(404, `The model '${model}' does not exist; this server serves '${name}'.`, 'invalid_request_error', 'model_not_found', 'model');
    }
  }

  async function respond(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    log: Logger,
    api: 'completions' | 'chat',
    p: SamplingParams,
    base: Pick<HostRequest, 'prompt' | 'priority'>,
  ): Promise<void> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, options.generationTimeoutMs ?? 300_000);
    res.on('close', () => {
      if (!res.writableFinished) {
        log.debug('client went away; cancelling', { api });
        ctl.abort();
      }
    });
    const request: HostRequest = {
      ...base,
      maxTokens: p.maxTokens,
      temperature: p.temperature,
      topP: p.topP,
      stop: p.stop,
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
    };
    const id = `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = deps.host.modelInfo().name;
    const events = deps.host.generate(api, request, ctl.signal, log);
    let text = '';
    let stats: GenerateStats | undefined;
    let headers = false;
    const chunk = (delta: string | undefined, finish: string | null): unknown =>
      api === 'chat'
        ? { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: delta === undefined ? {} : { content: delta }, logprobs: null, finish_reason: finish }] }
        : { id, object: 'text_completion', created, model, choices: [{ index: 0, text: delta ?? '', logprobs: null, finish_reason: finish }] };
    try {
      for await (const event of events) {
        if (p.stream && !headers) {
          headers = true;
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
          if (api === 'chat') {
            sse(res, { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
          }
        }
        if (event.type === 'delta') {
          if (event.text !== '') {
            text += event.text;
            if (p.stream) sse(res, chunk(event.text, null));
          }
        } else {
          stats = event.stats;
        }
      }
    } catch (err) {
      throw toApiError(err, log);
    } finally {
      clearTimeout(timer);
    }
    if (!stats) {
      if (timedOut) {
        throw new ApiError(504, `The generation did not finish within ${options.generationTimeoutMs ?? 300_000} ms`, 'server_error', 'timeout');
      }
      // The client left: nothing to answer.
      res.destroy();
      return;
    }
    if (options.logPrompts) log.debug('completion text', { text });
    const usage = { prompt_tokens: stats.promptTokens, completion_tokens: stats.generatedTokens, total_tokens: stats.promptTokens + stats.generatedTokens };
    const finish = finishReason(stats.stopReason);
    if (p.stream) {
      sse(res, chunk(undefined, finish));
      if (p.includeUsage) {
        sse(res, { id, object: api === 'chat' ? 'chat.completion.chunk' : 'text_completion', created, model, choices: [], usage });
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(
      res,
      200,
      api === 'chat'
        ? { id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish }], usage }
        : { id, object: 'text_completion', created, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }], usage },
    );
  }

  const startedAt = Date.now();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: a burst of connections (a benchmark, many tools at once) must wait, not be reset.
    server.listen({ port: options.port, host: '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    active: () => active,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function allow(req: http.IncomingMessage, methods: string[]): void {
  if (!methods.includes(req.method ?? '')) {
    throw new ApiError(405, `Method ${req.method} is not allowed here; use ${methods.join(' or ')}`, 'invalid_request_error', 'method_not_allowed');
  }
}

function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): ApiError => new ApiError(413, `The request body is larger than ${limit} bytes`, 'invalid_request_error', 'request_too_large');
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      // Read and drop the rest so that the client receives the answer instead of a reset.
      req.resume();
      reject(tooLarge());
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (b: Buffer) => {
      if (failed) return;
      size += b.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      parts.push(b);
    });
    req.on('end', () => {
      if (failed) return;
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch (err) {
        reject(invalid(`The request body is not valid JSON: ${errorMessage(err)}`, null, 'invalid_json'));
      }
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
    req.on('close', () => {
      if (!req.complete && !failed) reject(new ApiError(400, 'The client closed the connection before the end of the body', 'invalid_request_error', 'incomplete_body'));
    });
  });
}

function toApiError(err: unknown, log: Logger): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BusyError) return new ApiError(429, `The engine is busy: ${err.message}`, 'rate_limit_error', 'server_busy');
  if (err instanceof ModelLoadError) {
    log.error('model unavailable', { error: err });
    return new ApiError(503, `The model could not be loaded: ${err.message}`, 'server_error', 'model_unavailable');
  }
  if (err instanceof AutoGlmError) {
    if (err.code === 'prompt-too-long') return invalid(err.message, 'prompt', 'context_length_exceeded');
    if (err.code === 'invalid-request' || err.code === 'empty-prompt' || err.code === 'no-chat-template') return invalid(err.message, null, err.code);
    if (err.code === 'shutting-down') return new ApiError(503, err.message, 'server_error', 'shutting_down');
  }
  log.error('generation failed', { error: err });
  return new ApiError(500, `Generation failed: ${errorMessage(err)}`, 'server_error', 'internal_error');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: ApiError): void {
  if (err.status === 413) res.setHeader('connection', 'close');
  if (err.status === 429) res.setHeader('retry-after', '1');
  sendJson(res, err.status, err.body());
}

function sse(res: http.ServerResponse, body: unknown): void {
  res.write(`data: ${JSON.stringify(body)}\n\n`);
}

/** After the stream started the status is sent; the error becomes an event, then the stream ends. */
function sseError(res: http.ServerResponse, err: ApiError): void {
  if (!res.writableEnded && !res.destroyed) {
    sse(res, err.body());
    res.end('data: [DONE]\n\n');
  }
}
