/**
 * One MCP server: connect with a deadline, keep its tool list (refetched on
 * `notifications/tools/list_changed`), call its tools with a deadline and the caller's
 * AbortSignal (both cancel the request on the server), and notice when it goes away. A server
 * that crashes or whose connection fails is marked failed and reported; it is not restarted
 * behind the user's back (a crashing server would crash again), only when asked or when its
 * configuration changes. One call hanging never holds up another: requests are independent.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { abortError, errorMessage } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { VERSION } from '../../common/version';
import type { ToolResult, ToolRunContext } from '../types';
import type { McpToolInfo } from './adapter';
import type { McpScope, McpServerConfig } from './config';
import { flattenToolResult } from './content';
import { ServerOutput } from './serverOutput';
import { listAllTools } from './toolList';
import { createServerTransport, describeTarget, type ServerTransport } from './transports';

export type McpServerState = 'stopped' | 'starting' | 'ready' | 'failed';

export interface McpServerStatus {
  readonly name: string;
  readonly scope: McpScope;
  readonly transport: McpServerConfig['transport'];
  /** The command line or URL. */
  readonly target: string;
  readonly state: McpServerState;
  readonly toolCount: number;
  readonly lastError: string | undefined;
}

export interface McpConnectionOptions {
  readonly logger: Logger;
  /** Longest wait for the server to start and answer `initialize` and each `tools/list` page. */
  readonly connectTimeoutMs: number;
  /** Longest wait for one tool call. */
  readonly callTimeoutMs: number;
  readonly maxTools: number;
  readonly maxResultChars: number;
  /** Called whenever the state or the tool list changed. */
  readonly onChange: () => void;
  /** Tests may substitute the transport; the default builds it from the configuration. */
  readonly createTransport?: (config: McpServerConfig) => ServerTransport;
}

/**
 * Takes every structured result as it comes. Results reach the model as text anyway, and the SDK
 * would otherwise compile each output schema a server lists: work a hostile server can make large,
 * and one schema the compiler rejects would fail the whole tool list.
 */
const acceptAnyOutput: jsonSchemaValidator = {
  getValidator<T>(): JsonSchemaValidator<T> {
    return (input) => ({ valid: true, data: input as T, errorMessage: undefined });
  },
};

/** Longest wait for an HTTP server to acknowledge the end of its session; it is closed regardless. */
const END_SESSION_TIMEOUT_MS = 1000;

/** Tells an HTTP server the session is over (the spec asks clients to), without waiting long for it. */
async function endHttpSession(transport: Transport | undefined): Promise<void> {
  if (!(transport instanceof StreamableHTTPClientTransport) || transport.sessionId === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, END_SESSION_TIMEOUT_MS)));
  await Promise.race([transport.terminateSession().catch(() => undefined), timeout]);
  clearTimeout(timer);
}

export class McpServerConnection {
  private state: McpServerState = 'stopped';
  private client: Client | undefined;
  private toolInfos: readonly McpToolInfo[] = [];
  private lastError: string | undefined;
  private output: ServerOutput | undefined;
  /** Bumped on every start and stop, so that events of an earlier connection are ignored. */
  private generation = 0;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private readonly logger: Logger;

  constructor(
    readonly config: McpServerConfig,
    private readonly options: McpConnectionOptions,
  ) {
    this.logger = options.logger.child({ mcpServer: config.name });
  }

  get tools(): readonly McpToolInfo[] {
    return this.state === 'ready' ? this.toolInfos : [];
  }

  get status(): McpServerStatus {
    const { name, scope, transport } = this.config;
    return { name, scope, transport, target: describeTarget(this.config), state: this.state, toolCount: this.tools.length, lastError: this.lastError };
  }

  /** Connects and lists the tools; resolves when the server is ready or has failed (never rejects). */
  async start(): Promise<void> {
    const generation = ++this.generation;
    this.toolInfos = [];
    await this.closeClient();
    // A stop or another start while the old connection closed wins.
    if (generation !== this.generation) return;
    this.lastError = undefined;
    this.setState('starting');
    this.logger.info(`Starting MCP server "${this.config.name}": ${describeTarget(this.config)}`);
    let client: Client;
    try {
      client = this.connectClient(generation);
    } catch (err) {
      this.fail(generation, `could not be started: ${errorMessage(err)}`);
      return;
    }
    try {
      await client.connect(this.transportFor(), { timeout: this.options.connectTimeoutMs });
      const tools = await listAllTools(client, { maxTools: this.options.maxTools, timeoutMs: this.options.connectTimeoutMs }, this.logger);
      if (generation !== this.generation) return;
      this.toolInfos = tools;
      this.setState('ready');
      this.logger.info(`MCP server "${this.config.name}" is ready with ${tools.length} tools`, { tools: tools.map((t) => t.name) });
    } catch (err) {
      this.fail(generation, `could not connect: ${this.explain(err)}`);
      await client.close().catch(() => undefined);
    }
  }

  /** Closes the connection (for stdio: ends the process, forcibly if it does not exit). */
  async stop(): Promise<void> {
    this.generation++;
    this.toolInfos = [];
    if (this.state !== 'stopped' && this.state !== 'failed') this.setState('stopped');
    await this.closeClient();
  }

  /** Calls `tool` by the server's name for it. Cancellation rejects with an AbortError; every other failure is a result with `isError`. */
  async call(tool: string, args: Record<string, unknown>, context: ToolRunContext): Promise<ToolResult> {
    if (context.signal.aborted) throw abortError();
    const client = this.client;
    if (this.state !== 'ready' || !client) {
      return { isError: true, text: `The MCP server "${this.config.name}" is not running${this.lastError ? `: ${this.lastError}` : ''}.` };
    }
    const generation = this.generation;
    try {
      const result = await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: context.signal,
        timeout: this.options.callTimeoutMs,
        ...(context.onOutput ? { onprogress: (p: { message?: string }) => p.message && context.onOutput?.(`${p.message}\n`) } : {}),
      });
      return flattenToolResult(result, this.options.maxResultChars);
    } catch (err) {
      if (context.signal.aborted) throw abortError();
      return { isError: true, text: this.callFailure(tool, err, generation) };
    }
  }

  private callFailure(tool: string, err: unknown, generation: number): string {
    const server = `the MCP server "${this.config.name}"`;
    if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) {
      this.logger.warn(`Call of ${tool} timed out; it was cancelled on the server`, { timeoutMs: this.options.callTimeoutMs });
      return `${tool} on ${server} did not finish within ${Math.round(this.options.callTimeoutMs / 1000)} s; the call was cancelled.`;
    }
    if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed) {
      return `${server} stopped during the call${this.lastError ? `: ${this.lastError}` : ''}.`;
    }
    if (err instanceof McpError) {
      return `${server} answered the call of ${tool} with an error: ${err.message}`;
    }
    // Not an answer from the server: the connection itself failed (an HTTP server gone away).
    this.fail(generation, `the connection failed: ${this.explain(err)}`);
    return `${server} could not be reached: ${this.explain(err)}`;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    this.logger.info(`Stopping MCP server "${this.config.name}"`);
    await endHttpSession(client.transport);
    await client.close().catch((err: unknown) => this.logger.debug('Closing the MCP connection failed', { error: err }));
  }

  private connectClient(generation: number): Client {
    const client = new Client({ name: 'open-autoglm', version: VERSION }, { capabilities: {}, jsonSchemaValidator: acceptAnyOutput });
    client.onclose = () => this.onClosed(generation);
    client.onerror = (err) => this.logger.debug('MCP transport error', { error: err });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.refreshTools(generation));
    this.client = client;
    return client;
  }

  private transportFor(): Transport {
    const { transport, stderr } = (this.options.createTransport ?? createServerTransport)(this.config);
    this.output = new ServerOutput(this.logger);
    if (stderr) this.output.attach(stderr);
    return transport;
  }

  private onClosed(generation: number): void {
    // While starting, the failed connect says more than the close it causes.
    if (generation !== this.generation || this.state === 'starting') return;
    const last = this.output?.lastLines();
    this.fail(generation, `the server closed the connection${last ? `; its last output: ${last}` : ''}`);
  }

  /** Fetches the list again; a notification arriving during a fetch fetches once more after it. */
  private async refreshTools(generation: number): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = this.fetchTools(generation);
    try {
      await this.refreshing;
    } finally {
      this.refreshing = undefined;
    }
    if (this.refreshAgain) {
      this.refreshAgain = false;
      await this.refreshTools(generation);
    }
  }

  private async fetchTools(generation: number): Promise<void> {
    const client = this.client;
    if (!client || generation !== this.generation || this.state !== 'ready') return;
    try {
      const tools = await listAllTools(client, { maxTools: this.options.maxTools, timeoutMs: this.options.connectTimeoutMs }, this.logger);
      if (generation !== this.generation) return;
      this.toolInfos = tools;
      this.logger.info(`MCP server "${this.config.name}" changed its tools: now ${tools.length}`, { tools: tools.map((t) => t.name) });
      this.options.onChange();
    } catch (err) {
      this.logger.warn('The changed tool list could not be fetched; the previous one is kept', { error: err });
    }
  }

  /** Marks the server failed once per connection, keeping the first reason (the most telling one). */
  private fail(generation: number, reason: string): void {
    if (generation !== this.generation || this.state === 'failed') return;
    this.lastError = reason;
    this.toolInfos = [];
    const client = this.client;
    this.client = undefined;
    this.logger.error(`MCP server "${this.config.name}" failed: ${reason}`);
    this.setState('failed');
    void client?.close().catch(() => undefined);
  }

  private explain(err: unknown): string {
    const message = errorMessage(err);
    const last = this.output?.lastLines();
    return last && !message.includes(last) ? `${message} (its last output: ${last})` : message;
  }

  private setState(state: McpServerState): void {
    this.state = state;
    this.options.onChange();
  }
}
