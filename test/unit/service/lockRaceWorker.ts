/**
 * One contender of the lock race (lockRace.test.ts), run as `node -r tsx/cjs lockRaceWorker.ts
 * <runtimeDir>`. Each `go` line on stdin starts a service in the folder (no model is loaded) and
 * answers with the outcome; `stop` stops the service it runs, if any.
 */
import * as readline from 'node:readline';
import { startService, type RunningService } from '../../../src/service/service';

const runtimeDir = process.argv[2]!;
let running: RunningService | undefined;

function say(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function go(): Promise<void> {
  try {
    const s = await startService({
      runtimeDir,
      model: { modelDir: '/no/model', variant: 'auto', provider: 'cpu', threads: 0 },
      idleShutdownMs: 0,
      logDir: '',
      logLevel: 'error',
      preload: false,
      load: () => Promise.reject(new Error('no engine in the lock race')),
    });
    if (s.kind === 'running') running = s;
    say({ kind: s.kind, pid: process.pid });
  } catch (err) {
    say({ kind: 'error', pid: process.pid, error: String(err) });
  }
}

async function stop(): Promise<void> {
  await running?.stop('lock race round over');
  running = undefined;
  say({ kind: 'stopped', pid: process.pid });
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'go') void go();
  else if (line === 'stop') void stop();
});
say({ kind: 'ready', pid: process.pid });
