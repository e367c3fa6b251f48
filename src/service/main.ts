/**
 * Entry point of the engine's own process (bundled as dist/service.js; tests also run it from
 * source with `node -r tsx/cjs src/service/main.ts`). The extension starts it detached with VS
 * Code's Node runtime; it serves every window of the user until it has been idle long enough.
 */
import { errorMessage } from '../common/errors';
import { VERSION } from '../common/version';
import { SERVICE_EXIT_ALREADY_RUNNING } from '../protocol/service';
import { parseServiceArgs, SERVICE_OPTIONS_HELP, ServiceUsageError } from './args';
import { startService, type RunningService } from './service';

/** A spawned service outlives a closed window by this much before it stops (10 minutes). */
export const DEFAULT_IDLE_SHUTDOWN_MS = 10 * 60_000;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (argv.includes('--help')) {
    process.stdout.write(`Usage: node service.js [options]\n\n${SERVICE_OPTIONS_HELP.replace('%IDLE%', String(DEFAULT_IDLE_SHUTDOWN_MS))}\n`);
    return 0;
  }
  let options;
  try {
    options = parseServiceArgs(argv, { idleShutdownMs: DEFAULT_IDLE_SHUTDOWN_MS });
  } catch (err) {
    if (err instanceof ServiceUsageError) {
      process.stderr.write(`autoglm-service: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const service = await startService(options);
  if (service.kind === 'already-running') {
    process.stderr.write(`autoglm-service: already running (pid ${service.holder?.pid ?? 'unknown'}) at ${service.paths.socket}\n`);
    return SERVICE_EXIT_ALREADY_RUNNING;
  }
  stopOnSignals(service);
  await service.stopped;
  return 0;
}

/** A terminating signal stops the service cleanly; so does a bug, which then exits with 1. */
function stopOnSignals(service: RunningService): void {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => void service.stop(`signal ${signal}`));
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`autoglm-service: ${err.stack ?? err.message}\n`);
    void service.stop('uncaught exception').finally(() => process.exit(1));
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Open handles (onnxruntime threads) must not keep a stopped service alive.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (err: unknown) => {
      process.stderr.write(`autoglm-service: ${errorMessage(err)}\n`);
      process.exit(1);
    },
  );
}
