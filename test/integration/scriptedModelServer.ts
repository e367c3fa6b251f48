/**
 * A loopback stand-in for an OpenAI-compatible server, so that extension-host tests can see what
 * the editor does with a given model answer: `GET /v1/models` and streamed `POST /v1/completions`
 * (SSE `data: {choices:[{text, finish_reason}]}` events, then `data: [DONE]`), the protocol the
 * remote backend speaks. Each completion request gets the text of the newest script whose test
 * accepts its prompt, cut at the request's stop sequences as a real server does; a request no
 * script accepts gets an empty answer. A script may say how sure the model is of each piece: the
 * answer then carries log-probabilities (in the completions shape) when the request asks for them.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/models/http';

/** Largest request body read (bytes). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Which prompts a script answers. */
export type PromptMatch = (prompt: string) => boolean;

export interface ServedRequest {
  prompt: string;
  stop: readonly string[];
  /** The text streamed back, after the stop sequences. */
  answer: string;
}

interface Script {
  match: PromptMatch;
  text: string;
  /** Probability of every streamed piece; undefined: no log-probabilities. */
  probability: number | undefined;
}

/** Characters per streamed event: small, so that the client joins pieces as it does with tokens. */
const PIECE_CHARS = 3;

/** Where the code before the cursor ends in a fill-in-the-middle prompt (Qwen2.5-Coder format, the default family). */
const FIM_SUFFIX_MARKER = '<|fim_suffix|>';

/** Matches a FIM prompt whose code before the cursor ends with `text`. */
export function prefixEndsWith(text: string): PromptMatch {
  return (prompt) => {
    const at = prompt.indexOf(FIM_SUFFIX_MARKER);
    return at >= 0 && prompt.slice(0, at).endsWith(text);
  };
}

/** `text` up to the first of `stop`. */
function cutAtStop(text: string, stop: readonly string[]): string {
  const cuts = stop.map((s) => (s === '' ? -1 : text.indexOf(s))).filter((at) => at >= 0);
  return cuts.length > 0 ? text.slice(0, Math.min(...cuts)) : text;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export class ScriptedModelServer {
  /** Every completion request served, oldest first. */
  readonly requests: ServedRequest[] = [];
  private readonly scripts: Script[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly model: string,
  ) {}

  /** Listens on 127.0.0.1 at a free port. */
  static async start(model: string): Promise<ScriptedModelServer> {
    const server = http.createServer();
    const scripted = new ScriptedModelServer(server, model);
    server.on('request', (req, res) => {
      scripted.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          sendJson(res, 500, { error: { message: String(err) } });
        } else {
          res.destroy();
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return scripted;
  }

  /** The API root to configure as `autoglm.remote.baseUrl`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** From now on, prompts that `match` accepts get `text` (the newest matching script wins). */
  answer(match: PromptMatch, text: string, options: { probability?: number } = {}): void {
    this.scripts.unshift({ match, text, probability: options.probability });
  }

  /** The requests served so far whose prompt `match` accepts. */
  served(match: PromptMatch): ServedRequest[] {
    return this.requests.filter((r) => match(r.prompt));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: this.model, object: 'model', owned_by: 'tests' }] });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/completions') {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}` } });
      return;
    }
    const body = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8')) as { prompt?: unknown; stop?: unknown; stream?: unknown; logprobs?: unknown };
    if (typeof body.prompt !== 'string' || body.stream !== true) {
      sendJson(res, 400, { error: { message: 'expected a string prompt and stream: true' } });
      return;
    }
    const stop = Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === 'string') : [];
    const script = this.scripts.find((s) => s.match(body.prompt as string));
    const answer = cutAtStop(script?.text ?? '', stop);
    this.requests.push({ prompt: body.prompt, stop, answer });
    this.stream(res, body.prompt, answer, typeof body.logprobs === 'number' ? script?.probability : undefined);
  }

  private stream(res: http.ServerResponse, prompt: string, answer: string, probability: number | undefined): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (data: unknown): boolean => res.write(`data: ${JSON.stringify(data)}\n\n`);
    for (let at = 0; at < answer.length; at += PIECE_CHARS) {
      const text = answer.slice(at, at + PIECE_CHARS);
      const logprobs = probability === undefined ? null : { tokens: [text], token_logprobs: [Math.log(probability)], top_logprobs: [{ [text]: Math.log(probability) }], text_offset: [at] };
      event({ object: 'text_completion', model: this.model, choices: [{ index: 0, text, logprobs, finish_reason: null }] });
    }
    event({ object: 'text_completion', model: this.model, choices: [{ index: 0, text: '', finish_reason: 'stop' }] });
    event({ object: 'text_completion', model: this.model, choices: [], usage: { prompt_tokens: Math.ceil(prompt.length / 3), completion_tokens: Math.ceil(answer.length / PIECE_CHARS) } });
    res.end('data: [DONE]\n\n');
  }
}
