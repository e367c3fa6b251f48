/**
 * The RPC server that editor windows connect to: one JSON-RPC connection per window over the
 * per-user socket, each served by its own `RpcSession`.
 */
import * as net from 'node:net';
import { SocketMessageReader, SocketMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { ServiceModelInfo } from '../protocol/service';
import { RpcSession, type RpcClientInfo, type RpcServerDeps } from './rpcSession';

export type { RpcClientInfo, RpcServerDeps } from './rpcSession';

export class RpcServer {
  readonly clients = new Set<RpcClientInfo>();
  private readonly server: net.Server;
  private readonly sessions = new Map<RpcSession, net.Socket>();
  private nextConnection = 0;

  constructor(private readonly deps: RpcServerDeps) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(socketPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Tells every connected window about the model's new state. */
  modelChanged(model: ServiceModelInfo): void {
    for (const session of this.sessions.keys()) session.modelChanged(model);
  }

  close(): Promise<void> {
    for (const [session, socket] of this.sessions) {
      this.sessions.delete(session);
      session.closed();
      socket.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const session = new RpcSession(conn, ++this.nextConnection, this.clients, this.deps);
    this.sessions.set(session, socket);
    const closed = (): void => {
      if (this.sessions.delete(session)) session.closed();
    };
    conn.onClose(closed);
    conn.onError(() => socket.destroy());
    socket.on('close', closed);
    socket.on('error', () => undefined);
    conn.listen();
  }
}
