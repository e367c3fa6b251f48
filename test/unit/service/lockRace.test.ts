/**
 * The per-user lock under contention and against reused pids: several real service processes
 * take over one stale lock at the same moment, round after round; exactly one may win, and its
 * socket must survive the others. A lock naming a live process that is not the service (its pid
 * was reused) is stale.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { connectSocket, ServiceLauncher } from '../../../src/backends/serviceLauncher';
import { ServiceConnection } from '../../../src/backends/serviceConnection';
import { MemoryLogger } from '../../../src/common/logger';
import { acquireLock, readLock, releaseLock, type LockContent } from '../../../src/service/lock';
import { ensureRuntimeDir, servicePaths } from '../../../src/service/paths';
import { removeOwnSocket, socketIdentity } from '../../../src/service/socketFile';
import { repoRoot, tempDir, waitFor } from './serviceProcess';

const CONTENDERS = 6;
const ROUNDS = 30;
const worker = path.join(__dirname, 'lockRaceWorker.ts');

interface Said {
  kind: 'ready' | 'running' | 'already-running' | 'stopped' | 'error';
  pid: number;
  error?: string;
}

/** A contender process and the lines it has said, in order. */
class Contender {
  readonly child: ChildProcess;
  private readonly said: Said[] = [];
  private seen = 0;

  constructor(runtimeDir: string) {
    this.child = spawn(process.execPath, ['-r', 'tsx/cjs', worker, runtimeDir], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.said.push(JSON.parse(line) as Said));
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** The next thing it says. */
  next(): Promise<Said> {
    return waitFor('a contender to answer', () => (this.said.length > this.seen ? this.said[this.seen++] : undefined), 20_000, 2);
  }
}

function lockOf(pid: number, extra: Partial<LockContent> = {}): LockContent & { instance: string } {
  return { pid, version: 't', protocolVersion: 1, socket: 's', startedAt: new Date().toISOString(), ...extra, instance: extra.instance ?? `lock-${pid}` };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

async function helloPid(socketPath: string): Promise<number> {
  const socket = await connectSocket(socketPath);
  const connection = new ServiceConnection(socket, { logger: new MemoryLogger('info'), socketPath }, { modelChanged: () => undefined, streamFinished: () => undefined, closed: () => new Error('closed') });
  try {
    return (await connection.handshake()).pid;
  } finally {
    connection.close();
  }
}

describe('service lock under contention', function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];

  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it(`${CONTENDERS} services taking over a stale lock at once, ${ROUNDS} rounds: exactly one wins and its socket survives the others`, async function () {
    if (process.platform === 'win32') this.skip();
    const runtimeDir = path.join(tempDir(), 'rt');
    ensureRuntimeDir(runtimeDir);
    const paths = servicePaths(runtimeDir);
    const contenders = Array.from({ length: CONTENDERS }, () => new Contender(runtimeDir));
    children.push(...contenders.map((c) => c.child));
    for (const c of contenders) assert.equal((await c.next()).kind, 'ready');
    const dead = await deadPid();
    for (let round = 0; round < ROUNDS; round++) {
      fs.writeFileSync(paths.lockFile, JSON.stringify(lockOf(dead, { instance: `stale-${round}`, cmdline: [process.execPath, 'service.js'] })), { mode: 0o600 });
      fs.writeFileSync(paths.socket, 'left over by a service that died');
      for (const c of contenders) c.send('go');
      const outcomes = await Promise.all(contenders.map((c) => c.next()));
      const winners = outcomes.filter((o) => o.kind === 'running');
      assert.deepEqual(outcomes.filter((o) => o.kind === 'error'), [], `round ${round}`);
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} contenders believed they held the lock`);
      const winner = winners[0]!.pid;
      const others = contenders.filter((c) => c.child.pid !== winner);
      for (const c of others) c.send('stop');
      for (const c of others) assert.equal((await c.next()).kind, 'stopped');
      assert.equal(readLock(paths.lockFile)?.pid, winner, `round ${round}: the lock names the winner`);
      assert.equal(await helloPid(paths.socket), winner, `round ${round}: the winner still answers on the socket`);
      const owner = contenders.find((c) => c.child.pid === winner)!;
      owner.send('stop');
      assert.equal((await owner.next()).kind, 'stopped');
      assert.equal(fs.existsSync(paths.socket), false, 'the winner removed its own socket');
      assert.equal(fs.existsSync(paths.lockFile), false, 'and released its lock');
    }
    assert.deepEqual(fs.readdirSync(runtimeDir).filter((f) => /\.(claim|tmp)$/.test(f)), [], 'no claim or temp file is left behind');
  });

  it('a service removes only the socket it bound, not one bound at the same name since', async function () {
    if (process.platform === 'win32') this.skip();
    const socketPath = path.join(tempDir(), 'service.sock');
    const listen = (): Promise<net.Server> => new Promise((resolve) => {
      const server = net.createServer();
      server.listen(socketPath, () => resolve(server));
    });
    const first = await listen();
    const bound = socketIdentity(socketPath);
    fs.rmSync(socketPath);
    const second = await listen();
    try {
      removeOwnSocket(socketPath, bound);
      assert.equal(fs.existsSync(socketPath), true, "the other service's socket is kept");
      removeOwnSocket(socketPath, socketIdentity(socketPath));
      assert.equal(fs.existsSync(socketPath), false);
    } finally {
      first.close();
      second.close();
    }
  });

  it('a lock naming a live process that is not the service (a reused pid) is taken over', async function () {
    if (process.platform !== 'linux') this.skip();
    const dir = tempDir();
    const lockFile = path.join(dir, 'service.lock');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(sleeper);
    fs.writeFileSync(lockFile, JSON.stringify(lockOf(sleeper.pid!, { instance: 'died', cmdline: [process.execPath, '/ext/dist/service.js'] })), { mode: 0o600 });
    const l = new ServiceLauncher(servicePaths(dir), { nodePath: process.execPath, serviceArgs: [], model: { modelDir: '/m', variant: 'auto', provider: 'cpu', threads: 0 }, logger: new MemoryLogger('info') });
    const t = Date.now();
    await l.waitForRelease(3000);
    assert.ok(Date.now() - t < 1000, 'the launcher does not wait on it');
    const mine = lockOf(process.pid, { instance: 'mine' });
    const got = await acquireLock(lockFile, mine);
    assert.equal(got.acquired, true);
    assert.equal(readLock(lockFile)?.instance, 'mine');
    releaseLock(lockFile, 'mine');
    assert.equal(fs.existsSync(lockFile), false);
  });

  it('a lock naming a live process with the command line it records is kept', async function () {
    if (process.platform !== 'linux') this.skip();
    const dir = tempDir();
    const lockFile = path.join(dir, 'service.lock');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    children.push(holder);
    const cmdline = await waitFor('its command line', () => {
      const raw = fs.readFileSync(`/proc/${holder.pid}/cmdline`, 'utf8');
      return raw.includes('setTimeout') ? raw.split('\0').filter((a, i, all) => i < all.length - 1 || a !== '') : undefined;
    });
    fs.writeFileSync(lockFile, JSON.stringify(lockOf(holder.pid!, { instance: 'live', cmdline })), { mode: 0o600 });
    const got = await acquireLock(lockFile, lockOf(process.pid, { instance: 'mine' }));
    assert.equal(got.acquired, false);
    assert.equal(!got.acquired && got.holder?.instance, 'live');
    releaseLock(lockFile, 'mine');
    assert.equal(readLock(lockFile)?.instance, 'live', 'release leaves a lock that is not ours');
  });
});
