/**
 * The service launcher on its own, with stand-in service scripts: connects to a service that is
 * there without starting one, reports a start that fails with the service's own words, gives up
 * on one that never listens, and waits for a stopping service to release its lock.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ServiceLauncher, serviceCommandLine, type ServiceLaunchOptions } from '../../../src/backends/serviceLauncher';
import { BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { servicePaths } from '../../../src/service/paths';
import { tempDir } from '../service/serviceProcess';

const model = { modelDir: '/models/m', variant: 'auto' as const, provider: 'cpu' as const, threads: 0 };

function launcher(dir: string, extra: Partial<ServiceLaunchOptions> = {}): ServiceLauncher {
  return new ServiceLauncher(servicePaths(path.join(dir, 'rt')), { nodePath: process.execPath, serviceArgs: [], model, logger: new MemoryLogger('info'), ...extra });
}

/** A stand-in service: a script that does what `body` says. */
function script(dir: string, body: string): string {
  const file = path.join(dir, 'service.js');
  fs.writeFileSync(file, body);
  return file;
}

describe('service launcher', function () {
  this.timeout(20_000);

  it('connects to a service that is listening, without starting one', async () => {
    const dir = tempDir();
    const l = launcher(dir, { nodePath: path.join(dir, 'no-such-node') });
    fs.mkdirSync(l.paths.runtimeDir, { mode: 0o700 });
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(l.paths.socket, resolve));
    try {
      const socket = await l.connectOrStart();
      socket.destroy();
      assert.equal(fs.existsSync(path.join(l.paths.runtimeDir, 'service.stderr')), false, 'nothing was started');
    } finally {
      server.close();
    }
  });

  it("reports a service that exits while starting with its exit code and the last lines of its stderr", async () => {
    const dir = tempDir();
    const l = launcher(dir, { serviceArgs: [script(dir, "process.stderr.write('line 1\\nmodel folder /x: config.json is missing\\n'); process.exit(7);")] });
    await assert.rejects(
      l.connectOrStart(),
      (err: unknown) => err instanceof BackendError && err.code === 'service-start' && err.message === 'The Open AutoGLM service exited while starting (exit code 7): line 1\nmodel folder /x: config.json is missing',
    );
    assert.equal(l.startErrors(), 'line 1\nmodel folder /x: config.json is missing');
  });

  it('gives up on a service that never listens, after the connect timeout', async () => {
    const dir = tempDir();
    const l = launcher(dir, { serviceArgs: [script(dir, 'setTimeout(() => {}, 5000);')], connectTimeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(l.connectOrStart(), (err: unknown) => err instanceof BackendError && err.code === 'service-start' && /did not accept connections at .* within 300 ms/.test(err.message));
    assert.ok(Date.now() - started >= 300);
  });

  it('waits until a stopping service has released its lock, and no longer than the timeout', async () => {
    const dir = tempDir();
    const l = launcher(dir);
    fs.mkdirSync(l.paths.runtimeDir, { mode: 0o700 });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(l.paths.lockFile, JSON.stringify({ pid: holder.pid, version: 't', protocolVersion: 2, socket: l.paths.socket, startedAt: '' }));
      let t = Date.now();
      await l.waitForRelease(200);
      assert.ok(Date.now() - t >= 200, 'a live holder is waited for');
      t = Date.now();
      setTimeout(() => fs.rmSync(l.paths.lockFile), 150);
      await l.waitForRelease(5000);
      const waited = Date.now() - t;
      assert.ok(waited >= 150 && waited < 2000, `released after ${waited} ms`);
    } finally {
      holder.kill('SIGKILL');
    }
    fs.writeFileSync(l.paths.lockFile, JSON.stringify({ pid: holder.pid, version: 't', protocolVersion: 2, socket: l.paths.socket, startedAt: '' }));
    await new Promise((r) => holder.once('exit', r));
    const t = Date.now();
    await l.waitForRelease(5000);
    assert.ok(Date.now() - t < 1000, 'the lock of a dead process is not waited for');
  });

  it('passes the model, runtime folder and options to the service', () => {
    assert.deepEqual(serviceCommandLine({ serviceArgs: ['svc.js'], model, httpPort: 0, logDir: '/logs', logPrompts: true }, '/rt'), [
      'svc.js', '--model', '/models/m', '--variant', 'auto', '--provider', 'cpu', '--threads', '0', '--runtime-dir', '/rt', '--idle-ms', '600000', '--log-level', 'info', '--log-dir', '/logs', '--port', '0', '--log-prompts',
    ]);
  });
});
