/**
 * One JSON-RPC connection to the service over its socket: the handshake, streams multiplexed by
 * `streamId` (chunks arrive as notifications, the stats as the request's result), a watchdog
 * that kills a service which has requests in flight but stopped answering, and the service's log
 * records forwarded to this side's logger. What a lost connection means (a crash to count, a
 * stop that was asked for) is its owner's business, told through `ConnectionEvents.closed`.
 *
 * Node cannot ask a unix socket for its peer's credentials (SO_PEERCRED), so the service's user is
 * checked through the pid it names in its hello, where the platform tells it (Linux: /proc). That
 * pid is the service's own word; the private runtime folder is what keeps other users out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type * as net from 'node:net';
import {
  CancellationTokenSource,
  ErrorCodes,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
  createMessageConnection,
  type CancellationToken,
  type MessageConnection,
  type RequestType,
  type RequestType0,
} from 'vscode-jsonrpc/node';
import { AsyncChannel } from '../common/channel';
import { BackendError, BusyError, errorMessage } from '../common/errors';
import type { Logger, LogLevel } from '../common/logger';
import { VERSION } from '../common/version';
import type { ChatGenerationRequest, GenerationChunk, GenerationOptions, GenerationRequest } from '../protocol/generation';
import {
  ChatRequestType,
  ChunkNotificationType,
  GenerateRequestType,
  HealthRequestType,
  HelloRequestType,
  LogNotificationType,
  ModelChangedNotificationType,
  SERVICE_PROTOCOL_VERSION,
  ServiceErrorCodes,
  ShutdownRequestType,
  type ChunkNotification,
  type HelloResult,
  type LogNotification,
  type ServiceModelInfo,
  type StreamResult,
} from '../protocol/service';
import { processUids } from '../service/procfs';

/** Codes of requests that failed because the connection ended, not because the service said no. */
const CONNECTION_ENDED: ReadonlySet<number> = new Set([ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive]);

export interface ServiceConnectionOptions {
  logger: Logger;
  /** Where the socket is, for messages. */
  socketPath: string;
  /** Shown in the service's stats; default 'editor <pid>'. */
  clientName?: string;
  /** Service records at or above this level are forwarded to `logger`; default 'info'. */
  forwardLogLevel?: LogLevel;
  /**
   * Health check: when requests are in flight and nothing came from the service for this many ms,
   * it is asked for its health; default 60 000.
   */
  stallTimeoutMs?: number;
  /** A service that does not answer the health check within this many ms is killed; default 10 000. */
  healthTimeoutMs?: number;
}

/** How a handshaken connection ended. */
export interface ConnectionEnd {
  hello: HelloResult;
  /** This side ended it (`stopService` or `close`), so it was not lost. */
  onPurpose: boolean;
  /** Why this side killed the service (a failed health check), if it did. */
  unresponsive: string | undefined;
  /** Streams that were still running. */
  inflight: number;
}

export interface ConnectionEvents {
  modelChanged(model: ServiceModelInfo): void;
  /** A stream finished with stats: the service works. */
  streamFinished(): void;
  /** The handshaken connection ended; returns the error its streams and requests in flight fail with. */
  closed(end: ConnectionEnd): Error;
}

/** A handshake that did not complete; `versionMismatch` when the service speaks another protocol. */
export class HandshakeError extends BackendError {
  constructor(
    message: string,
    readonly versionMismatch: boolean,
  ) {
    super(message, versionMismatch ? 'service-version' : 'service-handshake');
  }
}

/** Maps an error answer of the service to the typed error callers act on. */
export function fromResponseError(err: ResponseError<unknown>): Error {
  if (err.code === ServiceErrorCodes.busy) return new BusyError(err.message);
  const data: unknown = err.data;
  const code = typeof data === 'object' && data !== null && 'code' in data && typeof data.code === 'string' ? data.code : 'service';
  return new BackendError(err.message, code, { cause: err });
}

/** How long a stop waits for the service to close the connection. */
const STOP_CLOSE_WAIT_MS = 5_000;

export class ServiceConnection {
  private readonly rpc: MessageConnection;
  private readonly streams = new Map<string, AsyncChannel<GenerationChunk>>();
  private hello: HelloResult | undefined;
  /** Last time anything arrived from the service (performance.now()). */
  private lastHeard = performance.now();
  private watchdog: NodeJS.Timeout | undefined;
  private onPurpose = false;
  private closedOnce = false;
  private markClosed: () => void = () => undefined;
  private readonly closedSignal = new Promise<void>((resolve) => (this.markClosed = resolve));
  private unresponsive: string | undefined;
  /** Why the connection ended; requests that fail after that fail with it. */
  private ended: Error | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: ServiceConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.rpc = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    socket.on('data', () => (this.lastHeard = performance.now()));
    this.rpc.onNotification(ChunkNotificationType, (p) => this.streams.get(p.streamId)?.push(chunkOf(p)));
    this.rpc.onNotification(LogNotificationType, (p) => forwardLog(options.logger, p));
    this.rpc.onNotification(ModelChangedNotificationType, (p) => events.modelChanged(p.model));
    const onClosed = (): void => {
      if (this.closedOnce) return;
      this.closedOnce = true;
      this.closed();
      this.markClosed();
    };
    this.rpc.onClose(onClosed);
    socket.on('close', onClosed);
    socket.on('error', () => undefined);
    this.rpc.listen();
  }

  /** Streams running now. */
  get inflight(): number {
    return this.streams.size;
  }

  /** Says who this side is and which protocol it speaks; the answer describes the service. */
  async handshake(): Promise<HelloResult> {
    let hello: HelloResult;
    try {
      hello = await this.rpc.sendRequest(HelloRequestType, {
        protocolVersion: SERVICE_PROTOCOL_VERSION,
        clientVersion: VERSION,
        clientName: this.options.clientName ?? `editor ${process.pid}`,
        pid: process.pid,
        logLevel: this.options.forwardLogLevel ?? 'info',
      });
    } catch (err) {
      if (err instanceof ResponseError && err.code === ServiceErrorCodes.versionMismatch) {
        throw new HandshakeError(err.message, true);
      }
      throw new HandshakeError(`The Open AutoGLM service at ${this.options.socketPath} did not complete the handshake: ${errorMessage(err)}`, false);
    }
    this.refuseOtherUser(hello.pid);
    this.hello = hello;
    this.watch(hello.pid);
    return hello;
  }

  /** Refuses a service whose process belongs to another user (where the platform tells, Linux). */
  private refuseOtherUser(pid: number): void {
    const uids = processUids(pid);
    const me = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (!uids || me === undefined || (uids.real === me && uids.effective === me)) return;
    throw new BackendError(
      `The Open AutoGLM service at ${this.options.socketPath} runs as another user (pid ${pid}, uid ${uids.effective}); refusing to use it. ` +
        'Remove its runtime folder, or set XDG_RUNTIME_DIR (or --runtime-dir) to a folder of your own.',
      'service-owner',
    );
  }

  request<P, R, E>(type: RequestType<P, R, E>, params: P): Promise<R> {
    return this.call(() => this.rpc.sendRequest(type, params));
  }

  request0<R, E>(type: RequestType0<R, E>): Promise<R> {
    return this.call(() => this.rpc.sendRequest(type));
  }

  generate(request: GenerationRequest, signal: AbortSignal): AsyncGenerator<GenerationChunk> {
    return this.stream('generate', request, signal, (streamId, traceId, token) => this.rpc.sendRequest(GenerateRequestType, { ...request, streamId, traceId }, token));
  }

  chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncGenerator<GenerationChunk> {
    return this.stream('chat', request, signal, (streamId, traceId, token) => this.rpc.sendRequest(ChatRequestType, { ...request, streamId, traceId }, token));
  }

  /**
   * Asks the service to stop if no other window uses it; true when it is stopping. A service that
   * agrees closes the connection right after its answer, and the close may be seen first (which
   * drops the answer): that counts as agreeing, and not as a crash.
   */
  async stopIfIdle(): Promise<boolean> {
    this.onPurpose = true;
    try {
      const stopping = (await this.rpc.sendRequest(ShutdownRequestType, { ifIdle: true })) === true;
      this.onPurpose = stopping;
      return stopping;
    } catch {
      this.onPurpose = this.closedOnce;
      return this.onPurpose;
    }
  }

  /** Asks the service to stop, for every window; this connection then ends on purpose. */
  /**
   * Asks the service to stop and waits (at most `closeWaitMs`) until it has closed this
   * connection, so that the next request starts a fresh service instead of reaching this one.
   */
  async stopService(closeWaitMs = STOP_CLOSE_WAIT_MS): Promise<void> {
    this.onPurpose = true;
    await this.rpc.sendRequest(ShutdownRequestType, {}).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeWaitMs)));
    await Promise.race([this.closedSignal, waited]);
    clearTimeout(timer);
  }

  /** Ends the connection on purpose; streams in flight end quietly. */
  close(): void {
    this.onPurpose = true;
    this.ended ??= new BackendError('The service client was disposed', 'disposed');
    for (const stream of this.streams.values()) stream.close();
    this.rpc.dispose();
    this.socket.destroy();
  }

  private async *stream(
    method: string,
    request: GenerationOptions,
    signal: AbortSignal,
    send: (streamId: string, traceId: string, token: CancellationToken) => Promise<StreamResult>,
  ): AsyncGenerator<GenerationChunk> {
    const streamId = randomUUID();
    const traceId = request.traceId ?? randomBytes(16).toString('hex');
    const channel = new AsyncChannel<GenerationChunk>();
    this.streams.set(streamId, channel);
    const cts = new CancellationTokenSource();
    const onAbort = (): void => {
      cts.cancel();
      channel.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    this.options.logger.debug('service request', { traceId, method, priority: request.priority });
    this.call(() => send(streamId, traceId, cts.token)).then(
      (result) => this.streamEnded(channel, result),
      (err: unknown) => channel.fail(err),
    );
    try {
      for await (const chunk of channel) {
        // Chunks already buffered are dropped once the caller has aborted.
        if (signal.aborted) return;
        yield chunk;
      }
      finished = true;
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.streams.delete(streamId);
      if (!finished) cts.cancel();
      cts.dispose();
    }
  }

  private streamEnded(channel: AsyncChannel<GenerationChunk>, result: StreamResult): void {
    if (!result.cancelled) {
      channel.push({ type: 'done', stats: result.stats });
      this.events.streamFinished();
    }
    channel.close();
  }

  /** Runs a request; its failures (also a connection that has ended) become typed errors. */
  private async call<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (err) {
      throw this.failure(err);
    }
  }

  private failure(err: unknown): Error {
    if (err instanceof ResponseError && !CONNECTION_ENDED.has(err.code)) return fromResponseError(err);
    return this.ended ?? new BackendError(`The Open AutoGLM service failed: ${errorMessage(err)}`, 'service', { cause: err });
  }

  /** Kills a service that has requests in flight but neither streams nor answers a health check. */
  private watch(pid: number): void {
    const stall = this.options.stallTimeoutMs ?? 60_000;
    const healthTimeout = this.options.healthTimeoutMs ?? 10_000;
    let checking = false;
    this.watchdog = setInterval(() => {
      if (checking || this.streams.size === 0 || performance.now() - this.lastHeard < stall) return;
      checking = true;
      void this.answersHealthCheck(healthTimeout).then((ok) => {
        checking = false;
        if (!ok && this.ended === undefined) this.kill(pid, `it did not answer a health check within ${healthTimeout} ms and was stopped`);
      });
    }, Math.max(50, Math.min(stall, healthTimeout) / 2));
    this.watchdog.unref();
  }

  private async answersHealthCheck(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const answered = this.rpc.sendRequest(HealthRequestType).then(() => true, () => true);
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private kill(pid: number, why: string): void {
    this.unresponsive = why;
    this.options.logger.error('the service stopped answering; killing it', { pid, inflight: this.streams.size, healthTimeoutMs: this.options.healthTimeoutMs ?? 10_000 });
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    this.socket.destroy();
  }

  private closed(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.hello) {
      const err = this.events.closed({ hello: this.hello, onPurpose: this.onPurpose, unresponsive: this.unresponsive, inflight: this.streams.size });
      this.ended ??= err;
      for (const stream of this.streams.values()) stream.fail(err);
      this.streams.clear();
    }
    this.rpc.dispose();
  }
}

/** The contract's chunk for a notification. */
function chunkOf(p: ChunkNotification): GenerationChunk {
  if ('toolCall' in p) return { type: 'tool-call', call: p.toolCall };
  return { type: 'text', text: p.text, ...(p.logprobs !== undefined ? { logprobs: p.logprobs } : {}) };
}

function forwardLog(log: Logger, p: LogNotification): void {
  const { time, level, msg, ...fields } = p.record;
  const f = { ...fields, process: 'service', serviceTime: time };
  switch (level) {
    case 'trace': log.trace(msg, f); break;
    case 'debug': log.debug(msg, f); break;
    case 'info': log.info(msg, f); break;
    case 'warn': log.warn(msg, f); break;
    case 'error': log.error(msg, f); break;
    default: log.info(msg, f);
  }
}
