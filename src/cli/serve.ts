import { errorMessage } from '../common/errors';
import { createStderrLogger } from '../common/logger';
import { VERSION } from '../common/version';
import { parseServiceArgs, SERVICE_OPTIONS_HELP, ServiceUsageError } from '../service/args';
import { startService } from '../service/service';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIO } from './command';

/** Port of the foreground server when --port is not given (one above Ollama's 11434). */
export const DEFAULT_SERVE_PORT = 11435;

const usage = `Usage: autoglm serve [--port P] [--model DIR] [options]

Runs the engine service in the foreground: the OpenAI-compatible HTTP API on 127.0.0.1 and the
socket editor windows connect to. It prints the API's URL and where the bearer token is kept;
Ctrl+C stops it.

Options:
${SERVICE_OPTIONS_HELP.replace('--port P             serve the OpenAI-compatible HTTP API on 127.0.0.1:P (0: any free port)', `--port P             HTTP port on 127.0.0.1 (default ${DEFAULT_SERVE_PORT}; 0: any free port)`).replace('%IDLE%', '0')}`;

async function run(args: string[], io: CliIO): Promise<number> {
  let options;
  try {
    options = parseServiceArgs(args, { idleShutdownMs: 0 });
  } catch (err) {
    if (err instanceof ServiceUsageError) {
      io.stderr(`autoglm serve: ${err.message}\n\n${usage}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const echoLogger = createStderrLogger('warn');
  let service;
  try {
    service = await startService({
      ...options,
      http: options.http ?? { port: DEFAULT_SERVE_PORT },
      // Problems also go to the terminal; the full record stays in the log file.
      echo: (record) => {
        if (record.level === 'warn' || record.level === 'error') echoLogger[record.level](record.msg, { ...record, time: undefined, level: undefined, msg: undefined });
      },
    });
  } catch (err) {
    io.stderr(`autoglm serve: ${errorMessage(err)}\n`);
    return EXIT_FAILURE;
  }
  if (service.kind === 'already-running') {
    const h = service.holder;
    io.stderr(
      `autoglm serve: a service is already running for this user (pid ${h?.pid ?? 'unknown'}, socket ${service.paths.socket}).\n` +
        (h?.http ? `Its API is at ${h.http.url}/v1 (token in ${h.http.tokenFile}).\n` : 'Its HTTP API is off; stop it (close the editor windows using it) or use --runtime-dir.\n'),
    );
    return EXIT_FAILURE;
  }
  const model = service.host.modelInfo();
  io.stdout(
    [
      `Open AutoGLM service ${VERSION} (pid ${process.pid}), model ${model.name}`,
      `  OpenAI-compatible API: ${service.http!.url}/v1`,
      `  Bearer token file:     ${service.http!.tokenFile}  (send "Authorization: Bearer <token>")`,
      `  Editor socket:         ${service.paths.socket}`,
      `  Log file:              ${service.logFile || '(none)'}`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  const onSignal = (): void => void service.stop('interrupted');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reason = await service.stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  io.stdout(`Stopped: ${reason}\n`);
  return EXIT_OK;
}

export const serveCommand: CliCommand = { name: 'serve', summary: 'run the engine service and its OpenAI-compatible API in the foreground', usage, run };
