/**
 * Model servers the user already runs on this machine: Ollama, LM Studio, llama.cpp's server and
 * vLLM, each looked for on 127.0.0.1 at its default port with one short GET, all at once. What a
 * port answers comes from whatever listens there (another local user's program, a dev server), so
 * every answer is bounded in time and size, parsed defensively, and its names are bounded too.
 * The responses are read with node:http and checked by hand: each server speaks a small JSON
 * shape of its own and no maintained client library covers all four.
 */
import * as http from 'node:http';

export type LocalServerKind = 'ollama' | 'lmstudio' | 'llamacpp' | 'vllm';

export interface LocalServerModel {
  /** The id to send as `model` in OpenAI-compatible requests. */
  id: string;
  /** What the server says about it (size, quantisation, context), when it says anything. */
  detail?: string;
}

export interface LocalServer {
  kind: LocalServerKind;
  /** The product, for people: "Ollama", "LM Studio", ... */
  label: string;
  port: number;
  /** The OpenAI-compatible API root, for `autoglm.remote.baseUrl`. */
  baseUrl: string;
  models: LocalServerModel[];
}

interface ServerProbe {
  kind: LocalServerKind;
  label: string;
  defaultPort: number;
  /** Tried in order; the first that answers with models wins. */
  paths: readonly string[];
  /** The model list from the JSON body of `path`, or undefined when the body is not this server's. */
  parse(path: string, body: unknown): LocalServerModel[] | undefined;
}

export interface FindLocalServersOptions {
  /** Other ports than the defaults (tests run stand-ins on free ports). */
  ports?: Partial<Record<LocalServerKind, number>>;
  /** Longest wait for one answer, ms; default 800. */
  timeoutMs?: number;
  /** Largest body read from one answer, bytes; default 1 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
}

const HOST = '127.0.0.1';
const DEFAULT_TIMEOUT_MS = 800;
const DEFAULT_MAX_BYTES = 1 << 20;
const MAX_MODELS = 200;
const MAX_NAME_CHARS = 200;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A name from another program, safe to show: no control characters, bounded length; '' when unusable. */
function cleanName(value: unknown): string {
  if (typeof value !== 'string') {
    return '';
  }
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim().slice(0, MAX_NAME_CHARS);
}

function model(id: unknown, detail: string[]): LocalServerModel | undefined {
  const name = cleanName(id);
  const words = detail.filter((d) => d !== '').join(', ');
  return name === '' ? undefined : { id: name, ...(words !== '' ? { detail: words } : {}) };
}

function compact<T>(items: (T | undefined)[]): T[] {
  return items.filter((x): x is T => x !== undefined).slice(0, MAX_MODELS);
}

const gigabytes = (bytes: unknown): string => (typeof bytes === 'number' && bytes > 0 ? `${(bytes / 1e9).toFixed(1)} GB` : '');
const contextWords = (tokens: unknown): string => (typeof tokens === 'number' && tokens > 0 ? `context ${tokens}` : '');

/** Ollama's `GET /api/tags`: `{ models: [{ name, model, size, details: { parameter_size, quantization_level } }] }`. */
function parseOllamaTags(_path: string, body: unknown): LocalServerModel[] | undefined {
  if (!isRecord(body) || !Array.isArray(body['models'])) {
    return undefined;
  }
  return compact(
    body['models'].map((m: unknown) => {
      if (!isRecord(m)) {
        return undefined;
      }
      const details = isRecord(m['details']) ? m['details'] : {};
      return model(m['model'] ?? m['name'], [cleanName(details['parameter_size']), cleanName(details['quantization_level']), gigabytes(m['size'])]);
    }),
  );
}

/**
 * The OpenAI list shape `{ object: 'list', data: [{ id, object: 'model', owned_by }] }` that LM
 * Studio, llama.cpp and vLLM serve at `/v1/models`; `owner` (when given) must match `owned_by`,
 * which tells llama.cpp ('llamacpp') and vLLM ('vllm') apart from any other server on their port.
 */
function parseOpenAiModels(body: unknown, owner?: string): LocalServerModel[] | undefined {
  if (!isRecord(body) || !Array.isArray(body['data'])) {
    return undefined;
  }
  const entries = body['data'].filter(isRecord);
  if (owner !== undefined && !entries.some((m) => m['owned_by'] === owner)) {
    return undefined;
  }
  return compact(
    entries.map((m) => {
      const meta = isRecord(m['meta']) ? m['meta'] : {};
      return model(m['id'], [contextWords(m['max_model_len'] ?? meta['n_ctx_train']), gigabytes(meta['size'])]);
    }),
  );
}

/** llama.cpp's `GET /props`, for servers too old for `/v1/models`: the loaded file and its context size. */
function parseLlamaCppProps(body: unknown): LocalServerModel[] | undefined {
  if (!isRecord(body) || typeof body['model_path'] !== 'string' || !isRecord(body['default_generation_settings'])) {
    return undefined;
  }
  const file = body['model_path'].split(/[\\/]/).pop();
  return compact([model(file, [contextWords(body['default_generation_settings']['n_ctx'])])]);
}

const PROBES: readonly ServerProbe[] = [
  { kind: 'ollama', label: 'Ollama', defaultPort: 11434, paths: ['/api/tags'], parse: parseOllamaTags },
  { kind: 'lmstudio', label: 'LM Studio', defaultPort: 1234, paths: ['/v1/models'], parse: (_p, body) => parseOpenAiModels(body) },
  {
    kind: 'llamacpp',
    label: "llama.cpp's server",
    defaultPort: 8080,
    paths: ['/v1/models', '/props'],
    parse: (p, body) => (p === '/props' ? parseLlamaCppProps(body) : parseOpenAiModels(body, 'llamacpp')),
  },
  { kind: 'vllm', label: 'vLLM', defaultPort: 8000, paths: ['/v1/models'], parse: (_p, body) => parseOpenAiModels(body, 'vllm') },
];

/** The JSON body of one GET, or undefined for anything but a bounded, timely 200 with JSON in it. */
function getJson(port: number, path: string, timeoutMs: number, maxBytes: number, signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path, timeout: timeoutMs, headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        req.destroy();
        resolve(undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          req.destroy();
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(parseJson(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', () => resolve(undefined));
    });
    // The whole exchange, not only the connection, must fit in the timeout.
    const timer = setTimeout(() => req.destroy(), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function probe(p: ServerProbe, port: number, options: FindLocalServersOptions): Promise<LocalServer | undefined> {
  for (const path of p.paths) {
    const body = await getJson(port, path, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.maxBytes ?? DEFAULT_MAX_BYTES, options.signal);
    const models = body === undefined ? undefined : p.parse(path, body);
    if (models !== undefined) {
      return { kind: p.kind, label: p.label, port, baseUrl: `http://${HOST}:${port}/v1`, models };
    }
  }
  return undefined;
}

/** The servers that answered, in a fixed order (Ollama, LM Studio, llama.cpp, vLLM); never throws. */
export async function findLocalServers(options: FindLocalServersOptions = {}): Promise<LocalServer[]> {
  const found = await Promise.all(PROBES.map((p) => probe(p, options.ports?.[p.kind] ?? p.defaultPort, options)));
  return found.filter((s): s is LocalServer => s !== undefined);
}
