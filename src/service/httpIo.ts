/** Reading and writing one HTTP exchange of the API: headers, bearer token, a bounded JSON body, JSON and SSE answers. */
import { timingSafeEqual } from 'node:crypto';
import type * as http from 'node:http';
import { errorMessage } from '../common/errors';
import { ApiError, invalid } from './openai';

export function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function allow(req: http.IncomingMessage, methods: readonly string[]): void {
  if (!methods.includes(req.method ?? '')) {
    throw new ApiError(405, `Method ${req.method} is not allowed here; use ${methods.join(' or ')}`, 'invalid_request_error', 'method_not_allowed');
  }
}

/** Host names that mean this machine's loopback; a browser page on any other name (DNS rebinding) is refused. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `authority` (a Host header or an absolute target's host) is a loopback name, bare or with `port`. */
export function isLoopbackAuthority(authority: string, port: number | undefined): boolean {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority.toLowerCase());
  if (!m || !LOOPBACK_HOSTS.has(m[1]!)) {
    return false;
  }
  return m[2] === undefined || Number(m[2]) === port;
}

const misdirected = (what: string): ApiError =>
  new ApiError(421, `${what} is not a loopback name; this server answers only Host 127.0.0.1, localhost or [::1] (with or without its port).`, 'invalid_request_error', 'invalid_host');

/** Throws the 421 unless the Host header names the loopback, bare or at the port this connection reached. */
export function checkHost(req: http.IncomingMessage): void {
  const host = header(req, 'host');
  if (host === undefined || !isLoopbackAuthority(host, req.socket.localPort)) {
    throw misdirected(host === undefined ? 'A request without a Host header' : `The Host '${host.slice(0, 100)}'`);
  }
}

const badTarget = (detail: string): ApiError => invalid(`The request target is not a valid URL path: ${detail}`, null, 'invalid_url');

/**
 * The request target as a URL: a malformed one (bad authority, bad port) is the client's 400, and
 * one that names another host itself (`http://evil/...`, `//evil/...`) is refused like its Host.
 */
export function requestUrl(req: http.IncomingMessage): URL {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch (err) {
    throw badTarget(errorMessage(err));
  }
  if (!isLoopbackAuthority(url.host, req.socket.localPort)) {
    throw misdirected(`The request target's host '${url.host.slice(0, 100)}'`);
  }
  return url;
}

/** A percent-decoded path segment; a broken escape is the client's 400. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (err) {
    throw badTarget(errorMessage(err));
  }
}

/** Throws the 401 for a missing or wrong `Authorization: Bearer` header; compares in constant time. */
export function checkBearer(req: http.IncomingMessage, expected: Buffer): void {
  const value = req.headers.authorization;
  const m = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  if (!m) {
    throw new ApiError(401, 'Missing bearer token: send "Authorization: Bearer <token>" (the token file is named by `autoglm serve`).', 'invalid_request_error', 'missing_api_key');
  }
  const given = Buffer.from(m[1]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError(401, 'Incorrect bearer token.', 'invalid_request_error', 'invalid_api_key');
  }
}

/** The body parsed as JSON; a body over `limit` bytes (declared or sent) is refused with 413. */
export function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
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

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: http.ServerResponse, err: ApiError): void {
  if (err.status === 413) res.setHeader('connection', 'close');
  if (err.status === 429) res.setHeader('retry-after', '1');
  sendJson(res, err.status, err.body());
}

export function startSse(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
}

export function sse(res: http.ServerResponse, body: unknown): void {
  res.write(`data: ${JSON.stringify(body)}\n\n`);
}

export function endSse(res: http.ServerResponse): void {
  res.end('data: [DONE]\n\n');
}

/** After the stream started the status is sent; the error becomes an event, then the stream ends. */
export function sseError(res: http.ServerResponse, err: ApiError): void {
  if (!res.writableEnded && !res.destroyed) {
    sse(res, err.body());
    endSse(res);
  }
}
