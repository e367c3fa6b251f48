import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runShellCommand, type ShellCommandOptions } from '../../../../src/host/agent/shellCommand';

/** Running, not a zombie: a killed orphan stays a zombie where nothing reaps it (a container's first process). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

describe('shell command runner (POSIX shell)', function () {
  if (process.platform === 'win32') {
    before(function () {
      this.skip();
    });
  }
  let dir: string;
  const base = (): Omit<ShellCommandOptions, 'command'> => ({ cwd: dir, timeoutMs: 30_000, signal: new AbortController().signal, maxOutputChars: 10_000 });

  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-cmd-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('captures stdout and stderr (each in its order), streams them, and gives the exit code', async () => {
    const streamed: string[] = [];
    const outcome = await runShellCommand({ ...base(), command: 'echo out; echo err 1>&2; pwd; exit 3', onOutput: (t) => streamed.push(t) });
    assert.equal(outcome.end, 'exited');
    assert.equal(outcome.exitCode, 3);
    // Two pipes: their chunks interleave as they arrive, so only each stream's own order is fixed.
    assert.deepEqual(outcome.output.split('\n').filter((l) => l !== 'err'), ['out', fs.realpathSync(dir), '']);
    assert.equal(outcome.output.split('\n').filter((l) => l === 'err').length, 1);
    assert.equal(streamed.join(''), outcome.output);
  });

  it('keeps the start and the end of long output', async () => {
    const outcome = await runShellCommand({ ...base(), maxOutputChars: 100, command: 'seq 1 2000' });
    assert.equal(outcome.exitCode, 0);
    assert.ok(outcome.receivedChars > 8000);
    assert.match(outcome.output, /^1\n2\n3\n[\s\S]*\[\.\.\. \d+ characters of output left out \.\.\.\][\s\S]*\n1999\n2000\n$/);
  });

  it('kills the whole process tree at the time limit', async () => {
    const pidFile = path.join(dir, 'child.pid');
    const outcome = await runShellCommand({ ...base(), timeoutMs: 300, command: `sleep 30 & echo $! > ${pidFile}; echo started; wait` });
    assert.equal(outcome.end, 'timed-out');
    assert.equal(outcome.exitCode, null);
    assert.equal(outcome.output, 'started\n');
    assert.ok(await waitGone(Number(fs.readFileSync(pidFile, 'utf8'))), 'the background sleep was killed too');
  });

  it('kills it when cancelled, and does not start when cancelled before', async () => {
    const controller = new AbortController();
    const run = runShellCommand({ ...base(), signal: controller.signal, command: 'echo go; sleep 30', onOutput: () => controller.abort() });
    const outcome = await run;
    assert.equal(outcome.end, 'cancelled');
    assert.equal(outcome.output, 'go\n');
    const early = await runShellCommand({ ...base(), signal: AbortSignal.abort(), command: 'echo never' });
    assert.deepEqual([early.end, early.output], ['cancelled', '']);
  });

  it('ends at the time limit even when a process that left the group holds the output open', async () => {
    const outcome = await runShellCommand({ ...base(), timeoutMs: 300, command: 'setsid sleep 2 & echo bye' });
    assert.ok(outcome.end === 'exited' || outcome.end === 'timed-out', outcome.end);
    assert.equal(outcome.output, 'bye\n');
  });
});
