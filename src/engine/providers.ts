import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelLoadError, errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { checkModelFile } from './externalData';
import { applyGraphEdits, neededOn, rewriteRefusal, type Edits } from './graphEdits';
import { graphSkeleton } from './onnxExternalRefs';
import { missingRuntime } from './providerRuntime';
import { variantCandidates, type ConcreteVariant, type ModelFolder } from './modelFolder';
import type { ModelVariant, ProviderSetting } from './types';

/**
 * Opens the ONNX session on the best execution provider that actually loads. onnxruntime-node
 * throws (rather than falling back) when a provider's libraries are missing, so each attempt is
 * caught, logged with its reason, and the next provider is tried; CPU always comes last.
 */
export type ConcreteProvider = Exclude<ProviderSetting, 'auto'>;

/** GPU providers worth trying per platform, best first. */
export function gpuProvidersFor(platform: NodeJS.Platform): ConcreteProvider[] {
  switch (platform) {
    case 'win32':
      return ['cuda', 'dml', 'webgpu'];
    case 'darwin':
      return ['coreml', 'webgpu'];
    default:
      return ['cuda', 'webgpu'];
  }
}

export function providerCandidates(setting: ProviderSetting, platform: NodeJS.Platform = process.platform): ConcreteProvider[] {
  if (setting === 'auto') {
    return [...gpuProvidersFor(platform), 'cpu'];
  }
  return setting === 'cpu' ? ['cpu'] : [setting, 'cpu'];
}

export interface SessionOptions {
  /**
   * Intra-op threads. Default: 1 for models under SMALL_MODEL_BYTES of weights, whose operators are
   * too small to gain from threads and lose much to their synchronisation (measured 2-4x slower
   * with two threads on a busy 2-core machine); otherwise onnxruntime's choice (one per core).
   */
  threads?: number;
  /**
   * 4-bit matrix products on the CPU with int8 dot products (MatMulNBits accuracy level 4, set at
   * load time when the file asks for less); default true. False keeps the file's level.
   */
  int8Compute?: boolean;
  /**
   * Give the graph a `num_logits_to_keep` input at load time when it has none, so that prompt
   * runs project only their last position onto the vocabulary (lastLogits.ts); default true.
   */
  lastLogitsOnly?: boolean;
  /**
   * Quantize a 4-bit file's fp32 output projection to 8 bits at load time (headQuantize.ts; CPU
   * only); default true. False keeps it fp32.
   */
  quantizeHead?: boolean;
}

export const SMALL_MODEL_BYTES = 100 * 2 ** 20;

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ConcreteProvider;
  variant: ConcreteVariant;
  file: string;
  /** Intra-op threads set on the session; undefined: onnxruntime's default. */
  threads: number | undefined;
  /** 4-bit MatMulNBits nodes whose accuracy level was raised to int8 compute at load time. */
  int8Rewritten: number;
  /** Whether `num_logits_to_keep` was added to the graph at load time. */
  logitsInputAdded: boolean;
  /** Whether an fp32 output projection was quantized to 8 bits at load time. */
  headQuantized: boolean;
  /** Why the providers tried before this one did not load. */
  fallbacks: Array<{ provider: ConcreteProvider; variant: ConcreteVariant; reason: string }>;
}

/** Opens a session from a file, or from a model rewritten in memory (its external data stays beside `file`). */
export type SessionFactory = (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;

/**
 * onnxruntime prints a native error block on stderr for every provider library it cannot load,
 * from its process-wide logger, which the session option `logSeverityLevel` does not reach. The
 * engine logs each failed attempt itself, in one line, so the process-wide level is set to fatal
 * before the first session creates that logger.
 */
function quietOrt(): void {
  ort.env.logLevel = 'fatal';
}

const defaultFactory: SessionFactory = async (model, options) => {
  const provider = String(options.executionProviders?.[0] ?? 'cpu') as ConcreteProvider;
  const missing = missingRuntime(provider);
  if (missing !== undefined) {
    throw new Error(missing);
  }
  quietOrt();
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
};

interface ModelSource {
  model: string | Uint8Array;
  int8Rewritten: number;
  logitsInputAdded: boolean;
  headQuantized: boolean;
  extra?: Record<string, Record<string, string>>;
}

function asIs(file: string): ModelSource {
  return { model: file, int8Rewritten: 0, logitsInputAdded: false, headQuantized: false };
}

function wantedEdits(provider: ConcreteProvider, variant: ConcreteVariant, options: SessionOptions): Edits {
  const cpuQ4 = provider === 'cpu' && variant === 'q4';
  return { raise: cpuQ4 && options.int8Compute !== false, trim: options.lastLogitsOnly !== false, head: cpuQ4 && options.quantizeHead !== false };
}

/**
 * The file itself, or its graph edited in memory: an fp32 output projection quantized and int8
 * compute for 4-bit matrix products (CPU only: the GPU providers choose their own kernels), and
 * logits of the last positions only. An edited model is opened from memory and told where its
 * external data lives.
 */
async function modelSource(file: string, provider: ConcreteProvider, variant: ConcreteVariant, options: SessionOptions, logger: Logger): Promise<ModelSource> {
  const edits = wantedEdits(provider, variant, options);
  if (!edits.raise && !edits.trim && !edits.head) {
    return asIs(file);
  }
  // The nodes alone tell whether an edit is needed; the weights are read only when one is.
  if (!neededOn(await graphSkeleton(file), edits)) {
    return asIs(file);
  }
  const { size } = await fs.stat(file);
  const refusal = rewriteRefusal(size, os.freemem());
  if (refusal !== undefined) {
    logger.info(`${refusal}; it loads as it is`, { file, size, freeMemory: os.freemem() });
    return asIs(file);
  }
  const { model, headQuantized, int8Rewritten, logitsInputAdded } = applyGraphEdits(await fs.readFile(file), edits, path.dirname(file));
  if (!headQuantized && int8Rewritten === 0 && !logitsInputAdded) {
    return asIs(file);
  }
  logger.info('model graph edited at load time', { file, headQuantized, int8ComputeNodes: int8Rewritten, logitsInputAdded });
  return { model, int8Rewritten, logitsInputAdded, headQuantized, extra: { session: { model_external_initializers_file_folder_path: path.dirname(file) } } };
}

/** The first line of a native error, without the source location onnxruntime puts before it, at most 300 characters. */
function oneLine(message: string): string {
  const first = (message.split('\n')[0] ?? '').replace(/^\S+\.(?:cc|cpp|h):\d+ /, '').trim();
  return (first || 'unknown error').slice(0, 300);
}

export async function openSession(
  folder: ModelFolder,
  providerSetting: ProviderSetting,
  variantSetting: ModelVariant,
  options: SessionOptions,
  logger: Logger,
  create: SessionFactory = defaultFactory,
): Promise<OpenedSession> {
  const fallbacks: OpenedSession['fallbacks'] = [];
  for (const provider of providerCandidates(providerSetting)) {
    const device = provider === 'cpu' ? 'cpu' : 'gpu';
    const candidates = variantCandidates(folder, variantSetting, device);
    // A GPU attempt uses only its preferred file; CPU goes through every candidate of `auto`.
    for (const { variant, file } of provider === 'cpu' ? candidates : candidates.slice(0, 1)) {
      const { weightBytes } = await checkModelFile(file, folder.dir);
      const source = await modelSource(file, provider, variant, options, logger).catch((err: unknown) => {
        logger.warn('could not edit the model graph at load time; the file loads as it is', { file, reason: errorMessage(err) });
        return asIs(file);
      });
      const threads = options.threads ?? (weightBytes < SMALL_MODEL_BYTES ? 1 : undefined);
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        interOpNumThreads: 1,
        ...(threads ? { intraOpNumThreads: threads } : {}),
        // The reason of a failed GPU attempt is logged here; onnxruntime's own error print is noise.
        ...(provider === 'cpu' ? {} : { logSeverityLevel: 4 as const }),
        ...(source.extra ? { extra: source.extra } : {}),
      };
      try {
        const session = await create(source.model, sessionOptions);
        logger.info('model session opened', { provider, variant, file, threads: threads ?? 'default', int8Rewritten: source.int8Rewritten, logitsInputAdded: source.logitsInputAdded, headQuantized: source.headQuantized, fallbacks });
        return { session, provider, variant, file, threads, int8Rewritten: source.int8Rewritten, logitsInputAdded: source.logitsInputAdded, headQuantized: source.headQuantized, fallbacks };
      } catch (err) {
        const reason = oneLine(errorMessage(err));
        if (provider !== 'cpu') {
          // Expected under `auto` on machines without that GPU stack; a warning when asked for explicitly.
          const log = providerSetting === 'auto' ? logger.info.bind(logger) : logger.warn.bind(logger);
          log(`execution provider ${provider} did not load (${reason}); trying the next one`, { provider, variant, file, reason });
          fallbacks.push({ provider, variant, reason });
          continue;
        }
        if (variantSetting === 'auto' && candidates.length > 1 && variant !== candidates.at(-1)!.variant) {
          logger.warn(`model variant ${variant} did not load; trying the next one`, { variant, file, reason });
          fallbacks.push({ provider, variant, reason });
          continue;
        }
        throw new ModelLoadError(file, `is not a loadable ONNX model (corrupt or truncated?): ${reason}`, 'invalid-onnx', { cause: err });
      }
    }
  }
  throw new ModelLoadError(folder.dir, 'no ONNX file could be opened', 'invalid-onnx');
}
