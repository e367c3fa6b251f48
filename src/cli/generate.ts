import { parseArgs } from 'node:util';
import { ModelLoadError, errorMessage, isAbortError } from '../common/errors';
import { createStderrLogger, isLogLevel } from '../common/logger';
import { EXECUTION_PROVIDERS, MODEL_VARIANTS } from '../common/modelSettings';
import { resolveFimTemplate } from '../completion/fimFamily';
import { bundledModelDir, Engine, type GenerateRequest, type ModelVariant, type ProviderSetting } from '../engine';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIO } from './command';

const usage = `Usage: autoglm generate --prompt TEXT [options]

Generates text with the local engine and prints it as it streams.

Options:
  --model DIR          model folder (default: the bundled model, <extension>/models/autoglm-coder)
  --prompt TEXT        prompt text (special tokens such as <|im_start|> are recognised)
  --suffix TEXT        text after the cursor: builds a fill-in-the-middle prompt in the
                       format of the model's family (as inline completion does) and stops
                       at the family's special tokens
  --chat               render --prompt as a user message with the model's chat template
  --max-tokens N       most tokens to generate (default 128)
  --temperature T      0 is greedy (default: the model's generation_config.json, else 0)
  --top-k K            keep the K most likely tokens (default: the model's, else 0: all)
  --top-p P            nucleus sampling mass (default: the model's, else 1)
  --seed S             sampling seed: the same seed gives the same output
  --stop TEXT          stop before TEXT (repeatable)
  --forced-prefix TEXT the output must start with TEXT, which is not printed (token healing:
                       end --prompt before a partial word and pass the word here)
  --variant V          auto | fp32 | fp16 | q4 | q4f16 | bnb4 | int8 | uint8 (default auto)
  --provider P         auto | cpu | cuda | webgpu | dml | coreml (default auto)
  --threads N          onnxruntime intra-op threads (default: one per core)
  --json               print one JSON object: text, token ids, stats, model
  --log-level L        trace | debug | info | warn | error (default warn), written to stderr`;

/**
 * The fill-in-the-middle prompt of the model's family (detected from its name and config, as for
 * inline completion), with no file or neighbour context, and the family's stop tokens.
 */
export function buildFimPrompt(model: { name: string; modelType?: string }, prefix: string, suffix: string): { prompt: string; stop: readonly string[] } {
  const template = resolveFimTemplate(model.name, model.modelType, undefined);
  return { prompt: template.render(prefix, suffix, { filePath: '', languageId: '', snippets: [] }), stop: template.stop };
}

/** The request's prompt once the model is known: as given, in the family's FIM format, or as a chat turn. */
function withPrompt(request: GenerateRequest, engine: Engine, values: { prompt: string; suffix?: string | undefined; chat?: boolean | undefined }): GenerateRequest {
  if (values.suffix !== undefined) {
    const fim = buildFimPrompt({ name: engine.model.name, modelType: engine.model.config.modelType }, values.prompt, values.suffix);
    return { ...request, prompt: fim.prompt, stop: [...(request.stop ?? []), ...fim.stop] };
  }
  return values.chat ? { ...request, prompt: engine.renderChat([{ role: 'user', content: values.prompt }]) } : request;
}

function number(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} (got '${value}')`);
  }
  return n;
}

class UsageError extends Error {}

const VARIANTS: readonly ModelVariant[] = MODEL_VARIANTS;
const PROVIDERS: readonly ProviderSetting[] = EXECUTION_PROVIDERS;

async function run(args: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        prompt: { type: 'string' },
        suffix: { type: 'string' },
        chat: { type: 'boolean' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        seed: { type: 'string' },
        stop: { type: 'string', multiple: true },
        'forced-prefix': { type: 'string' },
        variant: { type: 'string' },
        provider: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
        'log-level': { type: 'string' },
      },
    }));
  } catch (err) {
    io.stderr(`autoglm generate: ${errorMessage(err)}\n\n${usage}\n`);
    return EXIT_USAGE;
  }
  let request: GenerateRequest;
  let variant: ModelVariant;
  let provider: ProviderSetting;
  let threads: number | undefined;
  try {
    if (values.prompt === undefined) {
      throw new UsageError('--prompt is required');
    }
    if (values.chat && values.suffix !== undefined) {
      throw new UsageError('--chat and --suffix cannot be combined');
    }
    variant = (values.variant ?? 'auto') as ModelVariant;
    provider = (values.provider ?? 'auto') as ProviderSetting;
    if (!VARIANTS.includes(variant)) throw new UsageError(`--variant must be one of ${VARIANTS.join(', ')}`);
    if (!PROVIDERS.includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
    if (values['log-level'] !== undefined && !isLogLevel(values['log-level'])) throw new UsageError('--log-level must be trace, debug, info, warn or error');
    threads = number('threads', values.threads, true);
    request = {
      prompt: values.prompt,
      maxTokens: number('max-tokens', values['max-tokens'], true) ?? 128,
      temperature: number('temperature', values.temperature, false),
      topK: number('top-k', values['top-k'], true),
      topP: number('top-p', values['top-p'], false),
      seed: number('seed', values.seed, true),
      stop: values.stop,
      ...(values['forced-prefix'] !== undefined ? { forcedPrefix: values['forced-prefix'] } : {}),
      priority: 'interactive',
    };
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`autoglm generate: ${err.message}\n\n${usage}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  const logLevel = values['log-level'];
  const logger = createStderrLogger(isLogLevel(logLevel) ? logLevel : 'warn');
  const modelDir = values.model ?? bundledModelDir();
  let engine: Engine;
  try {
    engine = await Engine.load({ modelDir, variant, provider, threads, logger, prefixCacheBytes: 0 });
  } catch (err) {
    if (err instanceof ModelLoadError) {
      io.stderr(`autoglm generate: cannot load the model: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    for await (const event of engine.generate(withPrompt(request, engine, { ...values, prompt: values.prompt! }), controller.signal)) {
      if (event.type === 'delta') {
        if (!values.json) io.stdout(event.text);
      } else if (values.json) {
        const { name, variant: v, provider: p, file, contextLength } = engine.model;
        io.stdout(`${JSON.stringify({ text: event.text, tokenIds: event.tokenIds, stats: event.stats, model: { name, variant: v, provider: p, file, contextLength } }, null, 2)}\n`);
      } else {
        io.stdout('\n');
      }
    }
    return EXIT_OK;
  } catch (err) {
    if (isAbortError(err)) {
      return EXIT_FAILURE;
    }
    io.stderr(`autoglm generate: ${errorMessage(err)}\n`);
    return EXIT_FAILURE;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await engine.dispose();
  }
}

export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'generate text with the local engine (prompt or fill-in-the-middle)',
  usage,
  run,
};
