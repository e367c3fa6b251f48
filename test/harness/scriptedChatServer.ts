/**
 * A loopback stand-in for an OpenAI-compatible chat server that decides what the "model" says
 * from the conversation it receives: streamed `POST /v1/chat/completions` in OpenAI's shape,
 * text as `delta.content` and tool calls as index-keyed `delta.tool_calls` fragments (id and name
 * first, arguments in pieces), `finish_reason` `tool_calls` or `stop`, then `data: [DONE]`; and
 * `GET /v1/models`. Tests script turns with a function of the request, since a small model cannot
 * choose tools sensibly; everything between this server and the chat view is the real product.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/models/http';

/** Largest request body read (bytes). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  stream?: boolean;
}

/** One scripted reply: text, or tool calls (with optional text before them). */
export interface ScriptedReply {
  text?: string;
  calls?: Array<{ name: string; arguments: Record<string, unknown> }>;
}

export type ChatScript = (request: ChatRequestBody) => ScriptedReply;

const PIECE_CHARS = 6;

function pieces(text: string, size = PIECE_CHARS): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export class ScriptedChatServer {
  /** Every chat request received, oldest first. */
  readonly requests: ChatRequestBody[] = [];
  private calls = 0;

  private constructor(
    private readonly server: http.Server,
    readonly model: string,
    private readonly script: ChatScript,
    /** Pause between streamed events (ms), so that a view can be seen streaming. */
    private readonly pauseMs: number,
  ) {}

  static async start(model: string, script: ChatScript, pauseMs = 15): Promise<ScriptedChatServer> {
    const server = http.createServer();
    const scripted = new ScriptedChatServer(server, model, script, pauseMs);
    server.on('request', (req, res) => {
      scripted.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return scripted;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: this.model, object: 'model', owned_by: 'test' }] }));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const body = JSON.parse((await readBody(req, MAX_BODY_BYTES)).toString('utf8')) as ChatRequestBody;
    this.requests.push(body);
    const reply = this.script(body);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const event of this.events(reply)) {
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
    res.end('data: [DONE]\n\n');
  }

  private *events(reply: ScriptedReply): Iterable<unknown> {
    const chunk = (delta: unknown, finish: string | null = null): unknown => ({
      id: 'chatcmpl-scripted',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    yield chunk({ role: 'assistant', content: '' });
    for (const piece of pieces(reply.text ?? '')) yield chunk({ content: piece });
    for (const [index, call] of (reply.calls ?? []).entries()) {
      const id = `call_${++this.calls}`;
      yield chunk({ tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }] });
      for (const piece of pieces(JSON.stringify(call.arguments), 12)) yield chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
    yield chunk({}, reply.calls?.length ? 'tool_calls' : 'stop');
  }
}
