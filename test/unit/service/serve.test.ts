/** `autoglm serve` in the foreground: prints where the API and token are, serves, stops on Ctrl+C. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, tempDir, waitFor } from './serviceProcess';

describe('autoglm serve', function () {
  this.timeout(60_000);
  let child: ReturnType<typeof spawn> | undefined;

  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the URL and the token file, answers requests, and stops cleanly on SIGINT', async () => {
    const dir = tempDir();
    child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'serve', '--port', '0', '--provider', 'cpu', '--runtime-dir', path.join(dir, 'rt'), '--log-dir', path.join(dir, 'log')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const url = await waitFor('the printed URL', () => /OpenAI-compatible API: (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(out)?.[1]);
    const tokenFile = /Bearer token file:\s+(\S+)/.exec(out)?.[1];
    assert.equal(tokenFile, path.join(dir, 'rt', 'token'));
    const token = fs.readFileSync(tokenFile!, 'utf8').trim();
    const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ prompt: 'x = ', max_tokens: 3, temperature: 0 }) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens, 3);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /Stopped: interrupted/);
    assert.equal(fs.existsSync(path.join(dir, 'rt', 'service.lock')), false);
  });

  it('refuses a second service in the same runtime folder and names the running one', async () => {
    const dir = tempDir();
    const args = ['-r', 'tsx/cjs', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'serve', '--port', '0', '--provider', 'cpu', '--runtime-dir', path.join(dir, 'rt'), '--log-dir', ''];
    const first = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      first.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor('the first service', () => (out.includes('Press Ctrl+C') ? true : undefined));
      const second = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      second.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number | null>((r) => second.once('exit', (c) => r(c)));
      assert.equal(code, 1);
      assert.match(err, new RegExp(`already running for this user \\(pid ${first.pid}`));
      assert.match(err, /Its API is at http:\/\/127\.0\.0\.1:\d+\/v1/);
    } finally {
      first.kill('SIGKILL');
    }
  });
});
