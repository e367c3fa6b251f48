import * as path from 'node:path';
import { AutoGlmError, ModelLoadError } from '../common/errors';
import { silentLogger, type Logger } from '../common/logger';
import { ChatTemplate, type ChatRenderOptions } from './chatTemplate';
import { DecoderSession, inspectIo } from './decoderSession';
import { readModelFolder, type ConcreteVariant, type ModelConfig } from './modelFolder';
import { ModelRunner } from './modelRunner';
import { PrefixCache } from './prefixCache';
import { randomSeed, seededRandom } from './prng';
import { DEFAULT_PROMPT_LOOKUP } from './promptLookup';
import { openSession, type ConcreteProvider, type SessionFactory } from './providers';
import { resolveSampling, type SamplingDefaults } from './samplingDefaults';
import { Scheduler } from './scheduler';
import { Sequence } from './sequence';
import { TextTokenizer } from './tokenizer';
import { ForcedPrefix } from './forcedPrefix';
import { DecodingConstraints, type TokenConstraint } from './constrain/constrainedDecoder';
import { MAX_TOP_LOGPROBS } from '../protocol/generation';
import type { ChatMessage, DecodingConstraint, EngineStats, PromptLookupSetting, GenerateEvent, GenerateRequest, ModelVariant, ProviderSetting } from './types';

export interface EngineOptions {
  /** Folder in the Hugging Face ONNX layout. */
  modelDir: string;
  /** Weight file to run; default 'auto' (q4 on CPU, fp16 on GPU, else what exists). */
  variant?: ModelVariant;
  /** Execution provider; default 'auto' (GPU providers of the platform, then CPU). */
  provider?: ProviderSetting;
  /** Intra-op threads; default: 1 for small models (under 100 MiB of weights), else onnxruntime's choice (one per core). */
  threads?: number;
  /** Most requests decoding together; default 16. */
  maxBatch?: number;
  /** Most requests waiting for a batch slot before `generate` answers BusyError; default 64. */
  maxQueue?: number;
  /** Byte budget of the prefix cache; default 256 MiB; 0 turns it off. */
  prefixCacheBytes?: number;
  /**
   * Prompt tokens per prefill run, and per pause between decode steps; default: as many as keep
   * the logits under 64 MiB (16..512 tokens).
   */
  prefillChunk?: number;
  /**
   * Speculative decoding with prompt-lookup drafts, used while one request decodes alone (a batch of
   * two or more decodes one token per step). Greedy output is unchanged (fp32 exactly; a 4-bit file
   * with int8 compute may flip a near tie). Default: on, `{ promptLookup: DEFAULT_PROMPT_LOOKUP }`
   * (`{ maxDraft: 4, ngram: 3 }`); false turns it off.
   */
  speculation?: PromptLookupSetting;
  /**
   * 4-bit matrix products on the CPU with int8 dot products (a q4 file's MatMulNBits nodes are
   * raised to accuracy level 4 at load time); default true. False keeps the file's own level.
   */
  int8Compute?: boolean;
  /**
   * Prompt runs project only the positions whose logits are used (a `num_logits_to_keep` input,
   * added to the graph at load time when it has none); default true. False computes every
   * position's logits, as the file does.
   */
  lastLogitsOnly?: boolean;
  /**
   * A q4 file's fp32 output projection (the tied embedding behind a Transpose, as the standard
   * exports leave it) is quantized to 8 bits at load time, CPU only; default true. False keeps it.
   */
  quantizeHead?: boolean;
  logger?: Logger;
  /** Opens ONNX sessions; tests replace it to simulate a provider that cannot load. */
  sessionFactory?: SessionFactory;
}

export interface ModelInfo {
  name: string;
  dir: string;
  config: ModelConfig;
  variant: ConcreteVariant;
  provider: ConcreteProvider;
  file: string;
  /** Context window in tokens. */
  contextLength: number;
  /** Intra-op threads of the session; undefined: onnxruntime's default. */
  threads: number | undefined;
  eosTokenIds: readonly number[];
  hasChatTemplate: boolean;
  /** Sampling used where a request does not set it: generation_config.json's, else greedy. */
  sampling: SamplingDefaults;
  /** 4-bit matrix products raised to int8 compute at load time (0: none, or the file already asked for it). */
  int8Rewritten: number;
  /** Whether the session computes logits only for the positions asked for (`num_logits_to_keep`, the file's own or added at load time). */
  lastLogitsOnly: boolean;
  /** Whether the file's fp32 output projection was quantized to 8 bits at load time. */
  headQuantized: boolean;
  /** Why providers tried before the one in use did not load. */
  fallbacks: ReadonlyArray<{ provider: string; variant: string; reason: string }>;
}

const DEFAULT_MAX_TOKENS = 256;

/**
 * The local generation engine: one model, one ONNX session, a scheduler that batches every
 * request, and a prefix cache. Create it with `Engine.load`, release it with `dispose`.
 */
export class Engine {
  private readonly scheduler: Scheduler<Sequence>;
  private readonly runner: ModelRunner;
  private readonly speculation: PromptLookupSetting;
  private order = 0;
  private disposed = false;
  /** Built on the first constrained request: the vocabulary's trie and the shared mask cache. */
  private constraints: DecodingConstraints | undefined;

  private constructor(
    readonly model: ModelInfo,
    private readonly tokenizer: TextTokenizer,
    private readonly chat: ChatTemplate | undefined,
    private readonly session: DecoderSession,
    options: EngineOptions,
    private readonly logger: Logger,
  ) {
    const vocab = session.io.vocab ?? model.config.vocabSize;
    const prefillChunk = options.prefillChunk ?? Math.min(512, Math.max(16, Math.floor((64 << 20) / (4 * vocab))));
    this.speculation = options.speculation ?? { promptLookup: DEFAULT_PROMPT_LOOKUP };
    const lookup = this.speculation === false ? undefined : this.speculation.promptLookup;
    this.runner = new ModelRunner(session, new PrefixCache(options.prefixCacheBytes ?? 256 << 20), prefillChunk, logger, lookup);
    this.scheduler = new Scheduler(this.runner, { maxBatch: options.maxBatch ?? 16, maxQueue: options.maxQueue ?? 64, prefillBudget: prefillChunk }, logger);
  }

  static async load(options: EngineOptions): Promise<Engine> {
    const logger = (options.logger ?? silentLogger).child({ component: 'engine' });
    const folder = await readModelFolder(options.modelDir);
    const tokenizerFile = path.join(folder.dir, 'tokenizer.json');
    const configFile = path.join(folder.dir, 'config.json');
    const tokenizer = TextTokenizer.create(tokenizerFile, folder.tokenizerJson, folder.tokenizerConfig);
    if (tokenizer.vocabSize > folder.config.vocabSize) {
      throw new ModelLoadError(
        tokenizerFile,
        `has token ids up to ${tokenizer.vocabSize - 1} but ${configFile} says vocab_size = ${folder.config.vocabSize} (tokenizer from another model?)`,
        'vocab-mismatch',
      );
    }
    for (const id of folder.eosTokenIds) {
      if (id >= folder.config.vocabSize) {
        throw new ModelLoadError(path.join(folder.dir, 'generation_config.json'), `eos_token_id ${id} is outside the vocabulary`, 'vocab-mismatch');
      }
    }
    const chat = folder.chatTemplate && ChatTemplate.create(folder.chatTemplate.file, folder.chatTemplate.source, folder.tokenizerConfig);
    const opened = await openSession(folder, options.provider ?? 'auto', options.variant ?? 'auto', { threads: options.threads, int8Compute: options.int8Compute, lastLogitsOnly: options.lastLogitsOnly, quantizeHead: options.quantizeHead }, logger, options.sessionFactory);
    let session: DecoderSession;
    try {
      const io = inspectIo(opened.file, opened.session.inputMetadata, opened.session.outputMetadata, folder.config);
      if (io.vocab !== undefined && io.vocab < tokenizer.vocabSize) {
        throw new ModelLoadError(tokenizerFile, `has ${tokenizer.vocabSize} tokens but ${opened.file} produces logits for ${io.vocab}`, 'vocab-mismatch');
      }
      session = new DecoderSession(opened.session, io);
    } catch (err) {
      await opened.session.release().catch(() => undefined);
      throw err;
    }
    const model: ModelInfo = {
      name: folder.name,
      dir: folder.dir,
      config: folder.config,
      variant: opened.variant,
      provider: opened.provider,
      file: opened.file,
      contextLength: folder.config.contextLength,
      threads: opened.threads,
      eosTokenIds: folder.eosTokenIds,
      hasChatTemplate: chat !== undefined,
      sampling: folder.samplingDefaults,
      int8Rewritten: opened.int8Rewritten,
      lastLogitsOnly: session.io.logitsToKeep !== undefined,
      headQuantized: opened.headQuantized,
      fallbacks: opened.fallbacks,
    };
    logger.info('model loaded', { model: model.name, provider: model.provider, variant: model.variant, file: model.file, fallbacks: model.fallbacks });
    return new Engine(model, tokenizer, chat, session, options, logger);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.tokenizer.decode(ids);
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).length;
  }

  /** Id of a token such as `<|fim_middle|>`, if the vocabulary has it. */
  tokenId(token: string): number | undefined {
    return this.tokenizer.tokenId(token);
  }

  /** Renders messages with the model's own chat template; the result is a prompt for `generate`. */
  renderChat(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    if (!this.chat) {
      throw new AutoGlmError(`Model ${this.model.name} has no chat template (neither chat_template.jinja nor chat_template in tokenizer_config.json)`, 'no-chat-template');
    }
    return this.chat.render(messages, options);
  }

  /**
   * Streams the output of one request: `delta` events (text, possibly empty while characters or a
   * possible stop sequence are held, and the token ids), then one `done` event with the stats.
   * Aborting `signal` (or leaving the loop) removes the request within one decode step; the
   * iteration then throws an AbortError. A full queue throws BusyError.
   */
  generate(request: GenerateRequest, signal?: AbortSignal): AsyncIterable<GenerateEvent> {
    return { [Symbol.asyncIterator]: () => this.stream(request, signal) };
  }

  private async *stream(request: GenerateRequest, signal: AbortSignal | undefined): AsyncGenerator<GenerateEvent> {
    if (this.disposed) {
      throw new AutoGlmError('The engine was disposed', 'disposed');
    }
    signal?.throwIfAborted();
    const seq = this.createSequence(request, signal);
    const onAbort = (): void => this.scheduler.cancelled(seq);
    signal?.addEventListener('abort', onAbort, { once: true });
    let ended = false;
    try {
      this.scheduler.submit(seq);
      for await (const event of seq.events) {
        if (event.type === 'done') {
          ended = true;
        }
        yield event;
      }
      ended = true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!ended) {
        seq.abandon();
        this.scheduler.cancelled(seq);
      }
    }
  }

  private createSequence(request: GenerateRequest, signal: AbortSignal | undefined): Sequence {
    const prompt = typeof request.prompt === 'string' ? this.tokenizer.encode(request.prompt) : [...request.prompt];
    if (prompt.length === 0) {
      throw new AutoGlmError('The prompt is empty', 'empty-prompt');
    }
    const vocab = this.session.io.vocab ?? this.model.config.vocabSize;
    if (prompt.some((id) => !Number.isInteger(id) || id < 0 || id >= vocab)) {
      throw new AutoGlmError(`Prompt token ids must be integers in [0, ${vocab})`, 'invalid-request');
    }
    const room = this.model.contextLength - prompt.length;
    if (room < 1) {
      throw new AutoGlmError(`The prompt has ${prompt.length} tokens; the context window of ${this.model.name} is ${this.model.contextLength}`, 'prompt-too-long');
    }
    const forced = this.forcedPrefix(request.forcedPrefix);
    // The forced text's own tokens do not count against maxTokens.
    const forcedTokens = forced === undefined ? 0 : this.tokenizer.encode(forced.text).length;
    const wanted = Math.max(1, Math.floor(request.maxTokens ?? DEFAULT_MAX_TOKENS)) + forcedTokens;
    const stopTokenIds = new Set(request.stopTokenIds ?? []);
    if (request.stopAtEos ?? true) {
      for (const id of this.model.eosTokenIds) stopTokenIds.add(id);
    }
    const { temperature, topK, topP, repetitionPenalty } = resolveSampling(request, this.model.sampling);
    if (!(temperature >= 0) || !(topP > 0 && topP <= 1) || !(repetitionPenalty > 0)) {
      throw new AutoGlmError('temperature must be >= 0, topP in (0, 1] and repetitionPenalty > 0', 'invalid-request');
    }
    const logprobs = this.logprobsOption(request.logprobs);
    const constraint = this.decodingConstraint(request, stopTokenIds);
    if (constraint !== undefined && forced !== undefined) {
      throw new AutoGlmError('forcedPrefix and a decoding constraint (constraint, responseFormat) cannot be combined', 'invalid-request');
    }
    return new Sequence({
      order: this.order++,
      priority: request.priority ?? 'chat',
      prompt,
      maxTokens: Math.min(wanted, room),
      limitReason: wanted > room ? 'context-full' : 'max-tokens',
      sampling: { temperature, topK: Math.max(0, Math.floor(topK)), topP, repetitionPenalty },
      random: seededRandom(request.seed ?? randomSeed()),
      stop: request.stop ?? [],
      stopTokenIds,
      usePrefixCache: request.usePrefixCache ?? true,
      detokenizer: this.tokenizer.createDetokenizer(),
      ...(forced !== undefined ? { forced } : {}),
      ...(constraint !== undefined ? { constraint } : {}),
      signal,
      now: () => performance.now(),
      ...(logprobs !== undefined ? { logprobs } : {}),
    });
  }

  /** The request's constraint; `responseFormat` maps onto the json kind, an explicit `constraint` wins. */
  private decodingConstraint(request: GenerateRequest, stopTokenIds: ReadonlySet<number>): TokenConstraint | undefined {
    const constraint = request.constraint ?? responseFormatConstraint(request.responseFormat);
    if (constraint === undefined) {
      return undefined;
    }
    const spelling = this.tokenizer.spelling();
    if (spelling === undefined) {
      throw new AutoGlmError(`Constrained decoding needs a byte-level tokenizer; ${this.model.name} does not have one`, 'invalid-request');
    }
    this.constraints ??= new DecodingConstraints(spelling.bytes, this.session.io.vocab ?? this.model.config.vocabSize);
    return this.constraints.create(constraint, stopTokenIds);
  }

  private logprobsOption(top: number | undefined): { top: number; tokenText: (id: number) => string } | undefined {
    if (top === undefined) {
      return undefined;
    }
    if (!Number.isInteger(top) || top < 0 || top > MAX_TOP_LOGPROBS) {
      throw new AutoGlmError(`logprobs must be an integer in [0, ${MAX_TOP_LOGPROBS}]`, 'invalid-request');
    }
    return { top, tokenText: (id) => this.tokenizer.tokenText(id) };
  }

  /** Whether requests may carry `forcedPrefix` (the tokenizer is byte-level). */
  get supportsForcedPrefix(): boolean {
    return this.tokenizer.byteLevel;
  }

  private forcedPrefix(text: string | undefined): ForcedPrefix | undefined {
    if (text === undefined || text === '') {
      return undefined;
    }
    const spelling = this.tokenizer.spelling();
    if (spelling === undefined) {
      throw new AutoGlmError(`forcedPrefix needs a byte-level tokenizer; ${this.model.name} does not have one`, 'invalid-request');
    }
    return new ForcedPrefix(text, spelling);
  }

  stats(): EngineStats {
    const c = this.runner.counters;
    return {
      provider: this.model.provider,
      variant: this.model.variant,
      modelFile: this.model.file,
      activeRequests: this.scheduler.active,
      queuedRequests: this.scheduler.queued,
      liveKvBytes: this.runner.liveKvBytes(),
      prefixCacheBytes: this.runner.cache.bytes,
      prefixCacheEntries: this.runner.cache.size,
      ...c,
      speculation: this.speculation,
    };
  }

  /** Resolves when no request is running or waiting (tests and benchmarks wait for the accounting to settle). */
  whenIdle(): Promise<void> {
    return this.scheduler.whenIdle();
  }

  /** Drops the prefix cache (e.g. to measure without it). */
  clearPrefixCache(): void {
    this.runner.cache.clear();
  }

  /** Cancels every request and releases the ONNX session. */
  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    await this.scheduler.stop();
    this.runner.cache.clear();
    await this.session.dispose();
  }
}

function responseFormatConstraint(format: GenerateRequest['responseFormat']): DecodingConstraint | undefined {
  switch (format?.type) {
    case undefined:
    case 'text':
      return undefined;
    case 'json_object':
      return { kind: 'json' };
    case 'json_schema':
      return { kind: 'json', schema: format.schema };
  }
}

/** Runs a request to the end and returns its text, token ids and stats. */
export async function generateText(engine: Engine, request: GenerateRequest, signal?: AbortSignal): Promise<Extract<GenerateEvent, { type: 'done' }>> {
  for await (const event of engine.generate(request, signal)) {
    if (event.type === 'done') {
      return event;
    }
  }
  throw new AutoGlmError('generation ended without a result', 'internal');
}
