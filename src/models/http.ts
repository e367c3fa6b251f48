/**
 * One HTTP exchange with the Hub, a mirror or its CDN: node's http/https (not fetch, whose
 * agent cannot take a proxy or an idle timeout per socket), a proxy when one is set (absolute-form
 * requests for http targets, CONNECT tunnels through https-proxy-agent for https), an idle timeout,
 * cancellation, and the offline switch that refuses before any socket opens. Redirects are the
 * caller's business, because the Hub's headers on the redirect itself carry the file's metadata.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { ModelDownloadError } from './errors';
import { proxyFor, type ProxySettings } from './proxy';

export interface HttpSettings {
  /** Refuse every request before a connection is opened; default false. */
  readonly offline?: boolean;
  readonly proxy?: ProxySettings;
  /** Milliseconds a connection may stay silent (connecting, waiting or mid-body) before it is dropped; default 30000. */
  readonly idleTimeoutMs?: number;
  /** PEM certificates trusted beside the system's roots (a mirror's or a TLS-inspecting proxy's own CA); default none. */
  readonly ca?: string;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

const tunnels = new Map<string, HttpsProxyAgent<string>>();

function tunnel(proxy: URL): HttpsProxyAgent<string> {
  const key = proxy.href;
  let agent = tunnels.get(key);
  if (!agent) {
    agent = new HttpsProxyAgent(key, { keepAlive: true });
    tunnels.set(key, agent);
  }
  return agent;
}

function requestOptions(target: URL, settings: HttpSettings): { module: typeof http | typeof https; options: http.RequestOptions } {
  const proxy = proxyFor(target, settings.proxy);
  const secure = target.protocol === 'https:';
  if (proxy && !secure) {
    const auth = proxy.username ? { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
    return {
      module: proxy.protocol === 'https:' ? https : http,
      options: { host: proxy.hostname, port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80), path: target.href, headers: { Host: target.host, ...auth } },
    };
  }
  // A `ca` option replaces node's roots, so the extra certificates are added to them.
  const ca = secure && settings.ca ? { ca: [...tls.rootCertificates, settings.ca] } : {};
  return {
    module: secure ? https : http,
    options: { host: target.hostname, port: target.port || (secure ? 443 : 80), path: `${target.pathname}${target.search}`, ...ca, ...(proxy ? { agent: tunnel(proxy) } : {}) },
  };
}

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** Sends one request and resolves with the response head; the body is the caller's to read or discard. */
export function send(request: HttpRequest, settings: HttpSettings): Promise<http.IncomingMessage> {
  if (settings.offline) {
    return Promise.reject(new ModelDownloadError('offline', `offline mode: not connecting to ${request.url.host}`));
  }
  if (request.url.protocol !== 'http:' && request.url.protocol !== 'https:') {
    return Promise.reject(new ModelDownloadError('protocol', `refusing ${request.url.protocol} URL ${request.url.href}`));
  }
  const { module, options } = requestOptions(request.url, settings);
  const idle = settings.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = module.request({ ...options, method: request.method, headers: { ...options.headers, ...request.headers }, signal: request.signal });
    req.setTimeout(idle, () => {
      const err = Object.assign(new Error(`no data from ${request.url.host} for ${idle} ms`), { code: 'ETIMEDOUT' });
      req.destroy(err);
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/** Reads a response body of at most `limit` bytes (a listing, an error page); more is an error. */
export async function readBody(res: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new ModelDownloadError('protocol', `answer from the server is larger than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Drops a body the caller does not need, so the socket can be reused or closed. */
export function discard(res: http.IncomingMessage): void {
  res.resume();
}
