/** Command-line options of the service process, shared by `dist/service.js` and `autoglm serve`. */
import { parseArgs } from 'node:util';
import { isLogLevel, type LogLevel } from '../common/logger';
import { EXECUTION_PROVIDERS, MODEL_VARIANTS } from '../common/modelSettings';
import { bundledModelDir } from '../engine';
import type { ServiceProvider, ServiceVariant } from '../protocol/service';
import type { ServiceOptions } from './service';

export const SERVICE_OPTIONS_HELP = `  --model DIR          model folder (default: the bundled model)
  --variant V          auto | fp32 | fp16 | q4 | q4f16 | bnb4 | int8 | uint8 (default auto)
  --provider P         auto | cpu | cuda | webgpu | dml | coreml (default auto)
  --threads N          onnxruntime intra-op threads (default 0: the engine chooses)
  --port P             serve the OpenAI-compatible HTTP API on 127.0.0.1:P (0: any free port)
  --runtime-dir DIR    folder of the lock, socket and token (default $XDG_RUNTIME_DIR/autoglm
                       or <tmp>/autoglm-<uid>)
  --idle-ms N          stop after N ms with no connected window (default %IDLE%; 0: never)
  --log-dir DIR        folder of the rotated service.log (default: the user's log folder)
  --log-level L        trace | debug | info | warn | error (default info)
  --log-prompts        also log prompt and completion text (off by default)
  --max-queue N        most requests waiting for a batch slot (default 1024)
  --max-body-bytes N   largest HTTP request body (default 1048576)`;

export class ServiceUsageError extends Error {}

const VARIANTS: readonly ServiceVariant[] = MODEL_VARIANTS;
const PROVIDERS: readonly ServiceProvider[] = EXECUTION_PROVIDERS;

function int(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new ServiceUsageError(`--${name} must be an integer >= ${min} (got '${value}')`);
  }
  return n;
}

/** Parses service options; `defaults.idleShutdownMs` differs between the spawned service and `serve`. */
export function parseServiceArgs(args: string[], defaults: { idleShutdownMs: number; modelDirFrom?: string }): Omit<ServiceOptions, 'echo' | 'load'> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        variant: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
        port: { type: 'string' },
        'runtime-dir': { type: 'string' },
        'idle-ms': { type: 'string' },
        'log-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'log-prompts': { type: 'boolean' },
        'max-queue': { type: 'string' },
        'max-body-bytes': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ServiceUsageError(err instanceof Error ? err.message : String(err));
  }
  const variant = (values.variant ?? 'auto') as ServiceVariant;
  const provider = (values.provider ?? 'auto') as ServiceProvider;
  if (!VARIANTS.includes(variant)) throw new ServiceUsageError(`--variant must be one of ${VARIANTS.join(', ')}`);
  if (!PROVIDERS.includes(provider)) throw new ServiceUsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
  const level = values['log-level'] ?? 'info';
  if (!isLogLevel(level)) throw new ServiceUsageError('--log-level must be trace, debug, info, warn or error');
  const port = int('port', values.port, 0);
  if (port !== undefined && port > 65535) throw new ServiceUsageError('--port must be at most 65535');
  const maxBody = int('max-body-bytes', values['max-body-bytes'], 1);
  const maxQueue = int('max-queue', values['max-queue'], 1);
  return {
    model: { modelDir: values.model ?? bundledModelDir(defaults.modelDirFrom), variant, provider, threads: int('threads', values.threads, 0) ?? 0 },
    idleShutdownMs: int('idle-ms', values['idle-ms'], 0) ?? defaults.idleShutdownMs,
    logLevel: level as LogLevel,
    logPrompts: values['log-prompts'] ?? false,
    ...(values['runtime-dir'] !== undefined ? { runtimeDir: values['runtime-dir'] } : {}),
    ...(values['log-dir'] !== undefined ? { logDir: values['log-dir'] } : {}),
    ...(port !== undefined ? { http: { port, ...(maxBody !== undefined ? { maxBodyBytes: maxBody } : {}) } } : {}),
    ...(maxQueue !== undefined ? { maxQueue } : {}),
  };
}
