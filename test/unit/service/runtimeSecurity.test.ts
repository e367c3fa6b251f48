/**
 * The runtime folder, its socket and the token against another local user: a folder or socket
 * that someone else owns, a symlinked folder, a folder in a parent others can rename things in,
 * a service process of another user, and a planted `token` link. The tests that need a second
 * user run the stand-in as `nobody` through setpriv, which needs root.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { ServiceLauncher } from '../../../src/backends/serviceLauncher';
import { ServiceConnection } from '../../../src/backends/serviceConnection';
import { AutoGlmError, BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { HelloRequestType, SERVICE_PROTOCOL_VERSION } from '../../../src/protocol/service';
import { ensureRuntimeDir, readOrCreateToken, servicePaths } from '../../../src/service/paths';
import { tempDir, waitFor } from './serviceProcess';

const NOBODY = 65534;
const model = { modelDir: '/models/m', variant: 'auto' as const, provider: 'cpu' as const, threads: 0 };
const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;
const unix = process.platform !== 'win32';

function launcher(runtimeDir: string): ServiceLauncher {
  // A launcher that tried to start a service would fail loudly: there is no such node.
  return new ServiceLauncher(servicePaths(runtimeDir), { nodePath: '/nonexistent/node', serviceArgs: [], model, logger: new MemoryLogger('info'), connectTimeoutMs: 500 });
}

/** A parent folder like /tmp: everyone may create in it, nobody may rename what others own. */
function stickyDir(): string {
  const dir = tempDir();
  fs.chmodSync(dir, 0o1777);
  return dir;
}

/** Runs as user `nobody`: creates the runtime folder with `mode`, serves a socket in it and reports every connection and byte on stdout. */
const STAND_IN = `
const fs = require('fs'), net = require('net'), path = require('path');
const [dir, mode] = process.argv.slice(2);
fs.mkdirSync(dir);
fs.chmodSync(dir, parseInt(mode, 8));
const server = net.createServer((s) => {
  process.stdout.write('connection\\n');
  s.on('data', (d) => process.stdout.write('bytes ' + d.length + '\\n'));
});
server.listen(path.join(dir, 'service.sock'), () => {
  fs.chmodSync(path.join(dir, 'service.sock'), 0o777);
  process.stdout.write('ready\\n');
});
`;

interface StandIn {
  child: ChildProcess;
  output: () => string;
}

async function standInAsNobody(parent: string, runtimeDir: string, mode: string): Promise<StandIn> {
  const script = path.join(parent, 'stand-in.js');
  fs.writeFileSync(script, STAND_IN, { mode: 0o644 });
  const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, script, runtimeDir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  await waitFor('the stand-in to listen', () => {
    if (child.exitCode !== null) throw new Error(`stand-in exited: ${err}`);
    return out.includes('ready') ? true : undefined;
  }, 10_000);
  return { child, output: () => out };
}

function refusedFor(dir: string, ...words: string[]): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof AutoGlmError, `expected a typed error, got ${String(err)}`);
    assert.equal(err.code, 'runtime-dir');
    assert.ok(err.message.includes(dir), err.message);
    for (const w of words) assert.ok(err.message.includes(w), `"${w}" in: ${err.message}`);
    return true;
  };
}

async function listenHere(socketPath: string): Promise<{ server: net.Server; connections: () => number }> {
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { server, connections: () => count };
}

describe('runtime folder security', function () {
  this.timeout(30_000);
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  for (const mode of ['777', '700']) {
    it(`refuses a runtime folder (mode ${mode}) that another user created and serves a socket in, before connecting (needs root to act as a second user)`, async function () {
      if (!unix || !isRoot()) this.skip();
      const parent = stickyDir();
      const runtimeDir = path.join(parent, 'autoglm-test');
      const standIn = await standInAsNobody(parent, runtimeDir, mode);
      children.push(standIn.child);
      assert.equal(fs.lstatSync(runtimeDir).uid, NOBODY);
      await assert.rejects(launcher(runtimeDir).connectOrStart(), refusedFor(runtimeDir, `uid ${NOBODY}`, 'XDG_RUNTIME_DIR'));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(standIn.output(), 'ready\n', 'the stand-in saw no connection and no bytes');
      assert.equal(fs.statSync(runtimeDir).mode & 0o777, parseInt(mode, 8), 'a folder of another user is left alone');
    });
  }

  it('refuses a socket of another user in our own folder (needs root to act as a second user)', async function () {
    if (!unix || !isRoot()) this.skip();
    const runtimeDir = path.join(tempDir(), 'rt');
    ensureRuntimeDir(runtimeDir);
    const paths = servicePaths(runtimeDir);
    const { server, connections } = await listenHere(paths.socket);
    try {
      fs.lchownSync(paths.socket, NOBODY, NOBODY);
      await assert.rejects(launcher(runtimeDir).connectOrStart(), refusedFor(paths.socket, `uid ${NOBODY}`));
      assert.equal(connections(), 0);
    } finally {
      server.close();
    }
  });

  it('refuses a runtime folder that is a symbolic link, even to a folder of ours', async function () {
    if (!unix) this.skip();
    const dir = tempDir();
    const real = path.join(dir, 'real');
    fs.mkdirSync(real, { mode: 0o700 });
    const link = path.join(dir, 'rt');
    fs.symlinkSync(real, link);
    const { server, connections } = await listenHere(path.join(real, 'service.sock'));
    try {
      await assert.rejects(launcher(link).connectOrStart(), refusedFor(link, 'symbolic link'));
      assert.equal(connections(), 0);
    } finally {
      server.close();
    }
  });

  it('refuses a runtime folder in a parent that others may write to without the sticky bit', async function () {
    if (!unix) this.skip();
    const parent = tempDir();
    fs.chmodSync(parent, 0o777);
    const runtimeDir = path.join(parent, 'rt');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const { server, connections } = await listenHere(path.join(runtimeDir, 'service.sock'));
    try {
      await assert.rejects(launcher(runtimeDir).connectOrStart(), refusedFor(parent, 'sticky'));
      assert.equal(connections(), 0);
    } finally {
      server.close();
    }
  });

  it('tightens a folder of ours that others could enter, then connects', async function () {
    if (!unix) this.skip();
    const runtimeDir = path.join(tempDir(), 'rt');
    fs.mkdirSync(runtimeDir);
    fs.chmodSync(runtimeDir, 0o755);
    const { server, connections } = await listenHere(path.join(runtimeDir, 'service.sock'));
    try {
      const socket = await launcher(runtimeDir).connectOrStart();
      socket.destroy();
      assert.equal(fs.statSync(runtimeDir).mode & 0o777, 0o700);
      await waitFor('the connection', () => (connections() === 1 ? true : undefined), 2000);
    } finally {
      server.close();
    }
  });

  it('refuses a service whose process belongs to another user, after its hello (needs root to act as a second user)', async function () {
    if (process.platform !== 'linux' || !isRoot()) this.skip();
    const other = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
    children.push(other);
    await waitFor('the other user\'s process', () => (fs.readFileSync(`/proc/${other.pid}/status`, 'utf8').includes(`Uid:\t${NOBODY}`) ? true : undefined), 5000);
    const socketPath = path.join(tempDir(), 'service.sock');
    const server = net.createServer((s) => {
      const conn = createMessageConnection(new SocketMessageReader(s), new SocketMessageWriter(s));
      conn.onRequest(HelloRequestType, () => ({ protocolVersion: SERVICE_PROTOCOL_VERSION, serviceVersion: 't', pid: other.pid!, model: { name: 'm', modelDir: '/m', loaded: true }, logFile: '/l' }));
      conn.listen();
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(socketPath, () => resolve(s));
      s.once('error', reject);
    });
    const connection = new ServiceConnection(socket, { logger: new MemoryLogger('info'), socketPath }, { modelChanged: () => undefined, streamFinished: () => undefined, closed: () => new Error('closed') });
    try {
      await assert.rejects(connection.handshake(), (err: unknown) => err instanceof BackendError && err.code === 'service-owner' && err.message.includes(`uid ${NOBODY}`) && err.message.includes(String(other.pid)));
    } finally {
      connection.close();
      server.close();
    }
  });
});

describe('HTTP token file', function () {
  it('a planted token link is replaced: its target keeps its mode and content, and is not the token', function () {
    if (!unix) this.skip();
    const dir = tempDir();
    const runtimeDir = path.join(dir, 'rt');
    ensureRuntimeDir(runtimeDir);
    const secretFile = path.join(dir, 'secret');
    const secret = 'S'.repeat(64);
    fs.writeFileSync(secretFile, secret);
    fs.chmodSync(secretFile, 0o644);
    const { tokenFile } = servicePaths(runtimeDir);
    fs.symlinkSync(secretFile, tokenFile);
    const token = readOrCreateToken(tokenFile);
    assert.notEqual(token, secret);
    assert.match(token, /^agl-[\da-f]{64}$/);
    assert.equal(fs.statSync(secretFile).mode & 0o777, 0o644, 'the target was not chmod-ed');
    assert.equal(fs.readFileSync(secretFile, 'utf8'), secret);
    const st = fs.lstatSync(tokenFile);
    assert.ok(st.isFile(), 'the link was replaced by a regular file');
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(readOrCreateToken(tokenFile), token, 'the new token is reused');
  });

  it('a token others could read, or one too large to be a token, is replaced by a fresh one', function () {
    if (!unix) this.skip();
    const runtimeDir = path.join(tempDir(), 'rt');
    ensureRuntimeDir(runtimeDir);
    const { tokenFile } = servicePaths(runtimeDir);
    const readable = `agl-${'a'.repeat(64)}`;
    fs.writeFileSync(tokenFile, readable);
    fs.chmodSync(tokenFile, 0o644);
    const fresh = readOrCreateToken(tokenFile);
    assert.notEqual(fresh, readable);
    assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
    fs.writeFileSync(tokenFile, 'b'.repeat(5000), { mode: 0o600 });
    const again = readOrCreateToken(tokenFile);
    assert.match(again, /^agl-[\da-f]{64}$/);
  });

  it('no token is read or written in a folder of another user (needs root to act as a second user)', function () {
    if (!unix || !isRoot()) this.skip();
    const runtimeDir = path.join(stickyDir(), 'autoglm-test');
    fs.mkdirSync(runtimeDir, { mode: 0o777 });
    fs.chmodSync(runtimeDir, 0o777);
    fs.chownSync(runtimeDir, NOBODY, NOBODY);
    const { tokenFile } = servicePaths(runtimeDir);
    assert.throws(() => readOrCreateToken(tokenFile), refusedFor(runtimeDir, `uid ${NOBODY}`));
    assert.equal(fs.existsSync(tokenFile), false);
  });
});
