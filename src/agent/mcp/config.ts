/**
 * MCP server configuration: the user's `autoglm.mcp.servers` setting and a workspace's
 * `.autoglm/mcp.json` share one shape, `{"servers": {name: server}}`, where Claude's and Cursor's
 * `mcpServers` key is read as well. A workspace file is hostile input: every problem becomes a
 * diagnostic naming the server and the field, a bad server is left out and the others are kept,
 * and fields this code does not know are reported rather than fatal.
 */
import * as path from 'node:path';

export type McpScope = 'user' | 'workspace';

interface McpServerBase {
  readonly name: string;
  readonly scope: McpScope;
}

export interface McpStdioServer extends McpServerBase {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the SDK's small default environment (PATH, HOME...), never to the editor's whole one. */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute; undefined: wherever the host starts processes. */
  readonly cwd: string | undefined;
}

export interface McpHttpServer extends McpServerBase {
  readonly transport: 'http';
  /** A streamable HTTP endpoint, http: or https:. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type McpServerConfig = McpStdioServer | McpHttpServer;

export interface McpConfigDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly server?: string;
  readonly field?: string;
  /** What is wrong, for a person: names where (the source, the server, the field) and what. */
  readonly message: string;
}

export interface McpConfigOrigin {
  readonly scope: McpScope;
  /** Where the configuration came from, as messages name it: a file path or the setting's name. */
  readonly label: string;
  /**
   * The folder a relative `cwd` is resolved against. For a workspace file it is the workspace
   * folder, and a `cwd` outside it is refused; without one, `cwd` must be absolute.
   */
  readonly baseDir?: string;
}

export interface McpConfigParse {
  readonly servers: readonly McpServerConfig[];
  readonly diagnostics: readonly McpConfigDiagnostic[];
}

/** Bounds on what one configuration may hold; beyond them it is not a plausible configuration. */
export const MCP_CONFIG_LIMITS = {
  servers: 64,
  nameChars: 64,
  commandChars: 4096,
  args: 256,
  argChars: 16_384,
  envEntries: 256,
  envValueChars: 32_768,
  urlChars: 4096,
  headers: 64,
} as const;

const SERVER_KEYS = ['servers', 'mcpServers'] as const;
const STDIO_FIELDS = new Set(['type', 'command', 'args', 'env', 'cwd']);
const HTTP_FIELDS = new Set(['type', 'url', 'headers']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type Report = (diagnostic: McpConfigDiagnostic) => void;

/** Printable: no control characters, which would garble messages and logs. */
function printable(text: string): boolean {
  return [...text].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A reporter for one server that prefixes the source and server to each message. */
function serverReporter(origin: McpConfigOrigin, server: string, report: Report) {
  return (severity: McpConfigDiagnostic['severity'], field: string | undefined, problem: string): void => {
    const where = field === undefined ? `server "${server}"` : `server "${server}", field "${field}"`;
    report({ severity, server, ...(field === undefined ? {} : { field }), message: `${origin.label}: ${where}: ${problem}` });
  };
}

type ServerReport = ReturnType<typeof serverReporter>;

function readString(value: unknown, field: string, maxChars: number, say: ServerReport): string | undefined {
  if (typeof value !== 'string') {
    say('error', field, `must be a string, not ${describe(value)}`);
    return undefined;
  }
  if (value.length > maxChars) {
    say('error', field, `is longer than ${maxChars} characters`);
    return undefined;
  }
  if (value.includes('\u0000')) {
    say('error', field, 'contains a NUL character');
    return undefined;
  }
  return value;
}

const VARIABLE = /\$\{([^}]*)\}/g;

/**
 * `${workspaceFolder}`, as VS Code's and Cursor's files write it, becomes the folder the file
 * belongs to; any other variable (`${input:...}`, `${env:...}`) stays as written, with a warning.
 */
function expand(text: string, field: string, origin: McpConfigOrigin, say: ServerReport): string {
  return text.replace(VARIABLE, (whole, name: string) => {
    if (name === 'workspaceFolder' && origin.baseDir !== undefined) return origin.baseDir;
    say('warning', field, `${whole} is not expanded here; it is passed as written`);
    return whole;
  });
}

function readArgs(value: unknown, origin: McpConfigOrigin, say: ServerReport): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    say('error', 'args', `must be an array of strings, not ${describe(value)}`);
    return undefined;
  }
  if (value.length > MCP_CONFIG_LIMITS.args) {
    say('error', 'args', `has more than ${MCP_CONFIG_LIMITS.args} entries`);
    return undefined;
  }
  const args: string[] = [];
  for (const [i, item] of value.entries()) {
    const arg = readString(item, `args[${i}]`, MCP_CONFIG_LIMITS.argChars, say);
    if (arg === undefined) return undefined;
    args.push(expand(arg, `args[${i}]`, origin, say));
  }
  return args;
}

/** A string map (env, headers) whose keys match `keyPattern`; undefined when any entry is wrong. */
function readStringMap(value: unknown, field: string, keyPattern: RegExp, maxEntries: number, say: ServerReport, transform = (text: string, _field: string): string => text): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    say('error', field, `must be an object of strings, not ${describe(value)}`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > maxEntries) {
    say('error', field, `has more than ${maxEntries} entries`);
    return undefined;
  }
  const map: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, item] of entries) {
    if (!keyPattern.test(key)) {
      say('error', `${field}.${key}`, 'is not a valid name');
      return undefined;
    }
    const text = readString(item, `${field}.${key}`, MCP_CONFIG_LIMITS.envValueChars, say);
    if (text === undefined) return undefined;
    map[key] = transform(text, `${field}.${key}`);
  }
  return { ...map };
}

function resolveCwd(value: unknown, origin: McpConfigOrigin, say: ServerReport): { cwd: string | undefined } | undefined {
  if (value === undefined) {
    return { cwd: origin.scope === 'workspace' ? origin.baseDir : undefined };
  }
  const raw = readString(value, 'cwd', MCP_CONFIG_LIMITS.commandChars, say);
  if (raw === undefined) return undefined;
  const text = expand(raw, 'cwd', origin, say);
  if (!path.isAbsolute(text) && origin.baseDir === undefined) {
    say('error', 'cwd', `must be an absolute path: "${text}" is relative`);
    return undefined;
  }
  const cwd = origin.baseDir === undefined ? path.resolve(text) : path.resolve(origin.baseDir, text);
  if (origin.scope === 'workspace' && origin.baseDir !== undefined && !isInside(origin.baseDir, cwd)) {
    say('error', 'cwd', `"${text}" is outside the workspace folder`);
    return undefined;
  }
  return { cwd };
}

/** Whether `child` is `parent` or below it, comparing resolved paths. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function reportUnknownFields(entry: Record<string, unknown>, known: ReadonlySet<string>, say: ServerReport): void {
  for (const key of Object.keys(entry)) {
    if (!known.has(key)) say('warning', key, 'is not a field this version knows; it is ignored');
  }
}

function parseStdio(name: string, entry: Record<string, unknown>, origin: McpConfigOrigin, say: ServerReport): McpStdioServer | undefined {
  reportUnknownFields(entry, STDIO_FIELDS, say);
  const raw = readString(entry['command'], 'command', MCP_CONFIG_LIMITS.commandChars, say);
  const command = raw === undefined ? undefined : expand(raw, 'command', origin, say);
  if (command !== undefined && command.trim() === '') {
    say('error', 'command', 'is empty');
    return undefined;
  }
  const args = readArgs(entry['args'], origin, say);
  const env = readStringMap(entry['env'], 'env', ENV_NAME, MCP_CONFIG_LIMITS.envEntries, say, (text, field) => expand(text, field, origin, say));
  const cwd = resolveCwd(entry['cwd'], origin, say);
  if (command === undefined || args === undefined || env === undefined || cwd === undefined) return undefined;
  return { name, scope: origin.scope, transport: 'stdio', command, args, env, cwd: cwd.cwd };
}

function parseHttp(name: string, entry: Record<string, unknown>, origin: McpConfigOrigin, say: ServerReport): McpHttpServer | undefined {
  reportUnknownFields(entry, HTTP_FIELDS, say);
  const text = readString(entry['url'], 'url', MCP_CONFIG_LIMITS.urlChars, say);
  const headers = readStringMap(entry['headers'], 'headers', HEADER_NAME, MCP_CONFIG_LIMITS.headers, say);
  if (text === undefined || headers === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    say('error', 'url', `"${text}" is not a URL`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    say('error', 'url', `must be an http: or https: URL, not ${url.protocol}`);
    return undefined;
  }
  return { name, scope: origin.scope, transport: 'http', url: url.href, headers };
}

/** `type` as VS Code's mcp.json writes it; absent, the fields decide. */
function transportOf(entry: Record<string, unknown>, say: ServerReport): 'stdio' | 'http' | undefined {
  const type = entry['type'];
  if (type === undefined) {
    if (entry['url'] !== undefined && entry['command'] !== undefined) {
      say('error', undefined, 'has both "command" and "url"; a server is one or the other');
      return undefined;
    }
    if (entry['url'] !== undefined) return 'http';
    if (entry['command'] !== undefined) return 'stdio';
    say('error', undefined, 'needs "command" (a program to start) or "url" (a streamable HTTP endpoint)');
    return undefined;
  }
  if (type === 'stdio') return 'stdio';
  if (type === 'http' || type === 'streamableHttp' || type === 'streamable-http') return 'http';
  if (type === 'sse') {
    say('error', 'type', 'the older SSE transport is not supported; use the server\'s streamable HTTP endpoint');
    return undefined;
  }
  say('error', 'type', `must be "stdio" or "http", not ${JSON.stringify(type)}`);
  return undefined;
}

function parseServer(name: string, entry: unknown, origin: McpConfigOrigin, report: Report): McpServerConfig | undefined {
  const say = serverReporter(origin, name, report);
  if (!isRecord(entry)) {
    say('error', undefined, `must be an object, not ${describe(entry)}`);
    return undefined;
  }
  switch (transportOf(entry, say)) {
    case 'stdio':
      return parseStdio(name, entry, origin, say);
    case 'http':
      return parseHttp(name, entry, origin, say);
    case undefined:
      return undefined;
  }
}

function validName(name: string, origin: McpConfigOrigin, report: Report): boolean {
  if (name.trim() === '' || name.length > MCP_CONFIG_LIMITS.nameChars || !printable(name)) {
    report({ severity: 'error', server: name, message: `${origin.label}: server name ${JSON.stringify(name)} must be 1-${MCP_CONFIG_LIMITS.nameChars} printable characters` });
    return false;
  }
  return true;
}

/** The `{name: server}` entries under `servers` and `mcpServers`; `servers` wins a name in both. */
function serverEntries(root: Record<string, unknown>, origin: McpConfigOrigin, report: Report): [string, unknown][] {
  const entries = new Map<string, unknown>();
  for (const key of [...SERVER_KEYS].reverse()) {
    const value = root[key];
    if (value === undefined) continue;
    if (!isRecord(value)) {
      report({ severity: 'error', field: key, message: `${origin.label}: "${key}" must be an object of servers by name, not ${describe(value)}` });
      continue;
    }
    for (const [name, entry] of Object.entries(value)) {
      if (entries.has(name)) report({ severity: 'warning', server: name, message: `${origin.label}: server "${name}" is under both "servers" and "mcpServers"; the one under "servers" is used` });
      entries.set(name, entry);
    }
  }
  return [...entries];
}

/** Servers of one configuration value (the parsed JSON of a file, or the setting's value). */
export function parseMcpConfig(value: unknown, origin: McpConfigOrigin): McpConfigParse {
  const diagnostics: McpConfigDiagnostic[] = [];
  const report: Report = (d) => diagnostics.push(d);
  if (value === undefined || value === null) return { servers: [], diagnostics };
  if (!isRecord(value)) {
    report({ severity: 'error', message: `${origin.label}: must be an object with "servers", not ${describe(value)}` });
    return { servers: [], diagnostics };
  }
  for (const [key, item] of Object.entries(value)) {
    if ((SERVER_KEYS as readonly string[]).includes(key)) continue;
    const looksLikeServer = isRecord(item) && (item['command'] !== undefined || item['url'] !== undefined);
    const problem = looksLikeServer ? `looks like a server, but servers go under "servers": {"servers": {"${key}": ...}}` : 'is not a field this version knows';
    // An error, so that it is shown: the user meant a server to start, and none will.
    report({ severity: looksLikeServer ? 'error' : 'warning', field: key, message: `${origin.label}: "${key}" ${problem}; it is ignored` });
  }
  const entries = serverEntries(value, origin, report);
  if (entries.length > MCP_CONFIG_LIMITS.servers) {
    report({ severity: 'error', message: `${origin.label}: more than ${MCP_CONFIG_LIMITS.servers} servers; none is started` });
    return { servers: [], diagnostics };
  }
  const servers = entries.flatMap(([name, entry]) => (validName(name, origin, report) ? [parseServer(name, entry, origin, report)].filter((s): s is McpServerConfig => s !== undefined) : []));
  return { servers, diagnostics };
}
