/**
 * The OpenAI-compatible HTTP API: bound to 127.0.0.1 only, loopback Host names only (so a web
 * page that rebinds its DNS name to 127.0.0.1 is refused), a bearer token on every route but
 * /health, JSON or SSE answers, errors in OpenAI's shape. A client that goes away mid-stream
 * cancels its generation.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger';
import type { EngineHost } from './engineHost';
import { answerGeneration, type AnswerContext } from './httpAnswer';
import { allow, checkBearer, checkHost, decodeSegment, header, readJson, requestUrl, sendError, sendJson, sseError } from './httpIo';
import type { Gauges, ServiceMetrics } from './metrics';
import { ApiError, chatPrompt, familyFimPrompt, hostRequest, parseChatCompletion, parseCompletion, type CompletionParams } from './openai';
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

type RouteName = '/health' | '/metrics' | '/v1/models' | '/v1/models/{id}' | '/v1/completions' | '/v1/chat/completions';

const EXACT_ROUTES: ReadonlySet<string> = new Set(['/health', '/metrics', '/v1/models', '/v1/completions', '/v1/chat/completions']);

/** The route of a path, as named in the metrics; 'other' for an unknown one. */
function routeOf(pathname: string): RouteName | 'other' {
  if (EXACT_ROUTES.has(pathname)) {
    return pathname as RouteName;
  }
  return pathname.startsWith('/v1/models/') ? '/v1/models/{id}' : 'other';
}

/** What every handler may use: the server's settings and parts. */
interface ApiState {
  readonly options: HttpApiOptions;
  readonly deps: HttpApiDeps;
  readonly token: Buffer;
  readonly maxBody: number;
  readonly startedAt: number;
}

/** One request being answered. */
interface Exchange {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly url: URL;
  readonly log: Logger;
}

interface Route {
  readonly methods: readonly string[];
  /** Answered without the bearer token. */
  readonly open?: boolean;
  handle(api: ApiState, ex: Exchange): void | Promise<void>;
}

const ROUTES: Readonly<Record<RouteName, Route>> = {
  '/health': { methods: ['GET', 'HEAD'], open: true, handle: health },
  '/metrics': { methods: ['GET'], handle: metrics },
  '/v1/models': { methods: ['GET'], handle: (api, ex) => sendJson(ex.res, 200, { object: 'list', data: [modelObject(api)] }) },
  '/v1/models/{id}': { methods: ['GET'], handle: model },
  '/v1/completions': { methods: ['POST'], handle: completions },
  '/v1/chat/completions': { methods: ['POST'], handle: chatCompletions },
};

function notFound(pathname: string): ApiError {
  return new ApiError(404, `Unknown route ${pathname}`, 'invalid_request_error', 'not_found');
}

export async function startHttpApi(options: HttpApiOptions, deps: HttpApiDeps): Promise<HttpApi> {
  const api: ApiState = { options, deps, token: Buffer.from(options.token), maxBody: options.maxBodyBytes ?? 1 << 20, startedAt: Date.now() };
  let active = 0;
  const server = http.createServer((req, res) => {
    deps.onActivity();
    active++;
    res.once('close', () => {
      active--;
      deps.onActivity();
    });
    handle(api, req, res).catch((err: unknown) => {
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
  await listen(server, options.port);
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

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: a burst of connections (a benchmark, many tools at once) must wait, not be reset.
    server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** One request: its trace id, its log line and metric when it finishes, and the OpenAI error shape for an ApiError. */
async function handle(api: ApiState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const started = performance.now();
  let route: RouteName | 'other' = 'other';
  const traceId = traceIdFromTraceparent(header(req, 'traceparent')) ?? sanitizeTraceId(header(req, 'x-request-id')) ?? newTraceId();
  const log = api.deps.logger.child({ traceId, spanId: newSpanId(), component: 'http' });
  res.setHeader('x-request-id', traceId);
  res.on('finish', () => {
    api.deps.metrics.httpRequests.inc({ route, status: String(res.statusCode) });
    log.info('http request', { method: req.method, route, status: res.statusCode, ms: Math.round(performance.now() - started) });
  });
  try {
    checkHost(req);
    const url = requestUrl(req);
    route = routeOf(url.pathname);
    await dispatch(api, route, { req, res, url, log });
  } catch (err) {
    if (!(err instanceof ApiError)) {
      throw err;
    }
    if (!res.headersSent) {
      sendError(res, err);
    } else {
      sseError(res, err);
    }
  }
}

/** The Host and target are checked by the caller; then unknown routes (without a token), then the token, then the method, then the route's handler. */
async function dispatch(api: ApiState, route: RouteName | 'other', ex: Exchange): Promise<void> {
  if (route === 'other') {
    throw notFound(ex.url.pathname);
  }
  const entry = ROUTES[route];
  if (!entry.open) {
    checkBearer(ex.req, api.token);
  }
  allow(ex.req, entry.methods);
  await entry.handle(api, ex);
}

function health(api: ApiState, ex: Exchange): void {
  const info = api.deps.host.modelInfo();
  const status = info.loadError !== undefined && !info.loaded ? 'error' : 'ok';
  sendJson(ex.res, status === 'ok' ? 200 : 503, { status, model: info.name, loaded: info.loaded });
}

function metrics(api: ApiState, ex: Exchange): void {
  ex.res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  ex.res.end(api.deps.metrics.render(api.deps.gauges()));
}

function model(api: ApiState, ex: Exchange): void {
  checkModel(api.deps.host, decodeSegment(ex.url.pathname.slice('/v1/models/'.length)));
  sendJson(ex.res, 200, modelObject(api));
}

function modelObject(api: ApiState): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id: api.deps.host.modelInfo().name, object: 'model', created: Math.floor(api.startedAt / 1000), owned_by: 'open-autoglm' };
}

function checkModel(host: EngineHost, model: string | undefined): void {
  const name = host.modelInfo().name;
  if (model !== undefined && model !== name) {
    throw new ApiError(404, `The model '${model}' does not exist; this server serves '${name}'.`, 'invalid_request_error', 'model_not_found', 'model');
  }
}

function answerContext(api: ApiState, log: Logger): AnswerContext {
  return { host: api.deps.host, log, timeoutMs: api.options.generationTimeoutMs ?? 300_000, logPrompts: api.options.logPrompts === true };
}

/**
 * The raw prompt of a completion: the prompt itself, or with a suffix the fill-in-the-middle
 * prompt in the loaded model's format. The model is loaded first so that its config names the
 * family; a failed load is reported by the generation that follows, as for any request.
 */
async function completionPrompt(host: EngineHost, p: CompletionParams): Promise<string> {
  if (p.suffix === undefined) {
    return p.prompt;
  }
  await host.engine().catch(() => undefined);
  return familyFimPrompt(host.modelInfo(), p.prompt, p.suffix);
}

async function completions(api: ApiState, ex: Exchange): Promise<void> {
  const p = parseCompletion(await readJson(ex.req, api.maxBody));
  checkModel(api.deps.host, p.model);
  const prompt = await completionPrompt(api.deps.host, p);
  if (api.options.logPrompts) ex.log.debug('completion prompt', { prompt });
  await answerGeneration(ex.res, answerContext(api, ex.log), 'completions', p, hostRequest(p, { text: prompt }, 'interactive'));
}

async function chatCompletions(api: ApiState, ex: Exchange): Promise<void> {
  const p = parseChatCompletion(await readJson(ex.req, api.maxBody));
  checkModel(api.deps.host, p.model);
  if (api.options.logPrompts) ex.log.debug('chat messages', { messages: p.messages });
  await answerGeneration(ex.res, answerContext(api, ex.log), 'chat', p, hostRequest(p, chatPrompt(p), 'chat'));
}
