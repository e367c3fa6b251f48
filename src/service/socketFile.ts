/**
 * The service's socket file on unix: a service removes a leftover only while it holds the lock,
 * and at the end removes the socket it bound, never one that another service bound since.
 * Named pipes on Windows leave no file, so there these do nothing.
 */
import * as fs from 'node:fs';

/** Which file the socket is: device and inode, taken right after binding. */
export interface SocketIdentity {
  dev: number;
  ino: number;
}

const pipes = process.platform === 'win32';

export function socketIdentity(socket: string): SocketIdentity | undefined {
  if (pipes) return undefined;
  const st = fs.lstatSync(socket, { throwIfNoEntry: false });
  return st ? { dev: st.dev, ino: st.ino } : undefined;
}

/** Removes what a service that died left at the socket's name; call it only holding the lock. */
export function removeStaleSocket(socket: string): void {
  if (!pipes) fs.rmSync(socket, { force: true });
}

/** Removes the socket only if it is still the file this service bound. */
export function removeOwnSocket(socket: string, bound: SocketIdentity | undefined): void {
  if (pipes || !bound) return;
  const st = fs.lstatSync(socket, { throwIfNoEntry: false });
  if (st && st.dev === bound.dev && st.ino === bound.ino) fs.rmSync(socket, { force: true });
}
