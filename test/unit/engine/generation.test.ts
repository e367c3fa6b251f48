import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { isAbortError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { Engine, generateText } from '../../../src/engine';
import { BUILTIN_FIM_TEMPLATES } from '../../../src/completion/fimTemplates';
import { decisiveLength, MODEL_DIR, modelPresent, readGolden, referenceGreedy } from './modelFixture';

const PROMPTS = [
  'import { readFile } from "node:fs";\n',
  'function add(a, b) {\n',
  'export class Queue<T> {\n  private items: T[] = [];\n',
  'def main():\n    ',
  '// Sort the list in place\nconst sorted = ',
  '<|fim_prefix|>const x = <|fim_suffix|>;\nconsole.log(x);<|fim_middle|>',
  'SELECT name, email FROM users WHERE',
  '#include <stdio.h>\n\nint main(void) {\n',
];

const describeModel = modelPresent ? describe : describe.skip;

describeModel('engine on the bundled model (skipped when models/autoglm-coder is absent)', function () {
  // Real model runs on shared, busy cores: allow far more than mocha's default per test.
  this.timeout(300_000);
  let engine: Engine;
  const logger = new MemoryLogger('info');

  before(async () => {
    engine = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu', logger, maxBatch: 16 });
  });

  after(async () => {
    await engine?.dispose();
  });

  async function collect(iterable: AsyncIterable<{ type: string }>): Promise<{ deltas: Array<{ text: string; tokenIds: number[] }>; done: unknown }> {
    const deltas: Array<{ text: string; tokenIds: number[] }> = [];
    let done: unknown;
    for await (const event of iterable as AsyncIterable<{ type: 'delta'; text: string; tokenIds: number[] } | { type: 'done' }>) {
      if (event.type === 'delta') deltas.push(event);
      else done = event;
    }
    return { deltas, done };
  }

  it('greedy output equals the golden torch tokens (or, for a stale golden, a full-recompute reference)', async () => {
    const golden = readGolden();
    const modelSha = createHash('sha256').update(readFileSync(path.join(MODEL_DIR, 'onnx', 'model.onnx'))).digest('hex');
    if (golden && golden.model_onnx_sha256 === modelSha) {
      const results = await Promise.all(
        golden.prompts.map((p) => generateText(engine, { prompt: p.ids, maxTokens: golden.tokens, stopAtEos: false, usePrefixCache: false })),
      );
      let compared = 0;
      golden.prompts.forEach((p, i) => {
        const n = decisiveLength(p.margins);
        compared += n;
        assert.deepEqual(results[i]!.tokenIds.slice(0, n), p.greedy.slice(0, n), `prompt ${i} (${p.kind})`);
      });
      // Near-ties are rare; most golden tokens must have been compared for the test to mean anything.
      const total = golden.prompts.reduce((n, p) => n + p.greedy.length, 0);
      assert.ok(compared >= 0.8 * total, `only ${compared} of ${total} golden tokens are decisive`);
    } else {
      const session = await ort.InferenceSession.create(path.join(MODEL_DIR, 'onnx', 'model.onnx'), { executionProviders: ['cpu'] });
      try {
        for (const prompt of PROMPTS.slice(0, 3)) {
          const ids = engine.encode(prompt);
          const expected = await referenceGreedy(session, ids, 24);
          const got = await generateText(engine, { prompt: ids, maxTokens: 24, stopAtEos: false });
          assert.deepEqual(got.tokenIds, expected, JSON.stringify(prompt));
        }
      } finally {
        await session.release();
      }
    }
  });

  it('KV-cached decoding equals a full recompute without cache', async () => {
    const session = await ort.InferenceSession.create(path.join(MODEL_DIR, 'onnx', 'model.onnx'), { executionProviders: ['cpu'] });
    try {
      const ids = engine.encode(PROMPTS[2]!);
      const expected = await referenceGreedy(session, ids, 20);
      const got = await generateText(engine, { prompt: ids, maxTokens: 20, stopAtEos: false, usePrefixCache: false });
      assert.deepEqual(got.tokenIds, expected);
    } finally {
      await session.release();
    }
  });

  it('tokenizer, chat template and FIM prompt agree with the golden prompts', () => {
    const golden = readGolden();
    assert.ok(golden, 'verify/greedy.json is present');
    for (const p of golden.prompts) {
      assert.deepEqual(engine.encode(p.text), p.ids, JSON.stringify(p.text.slice(0, 40)));
      if (p.kind === 'chat') {
        assert.equal(engine.renderChat(p.messages!), p.text);
      }
      // The reference wrote its FIM prompts in Qwen2.5-Coder's prefix-suffix-middle order.
      if (p.kind === 'fim') {
        assert.equal(BUILTIN_FIM_TEMPLATES['qwen2.5-coder'].render(p.prefix!, p.suffix!, { filePath: '', languageId: '', snippets: [] }), p.text);
      }
    }
    assert.equal(engine.countTokens(golden.prompts[0]!.text), golden.prompts[0]!.ids.length);
  });

  it('8 concurrent different prompts give exactly their isolated outputs (fp32)', async () => {
    const isolated = [];
    for (const prompt of PROMPTS) {
      isolated.push((await generateText(engine, { prompt, maxTokens: 24, stopAtEos: false, usePrefixCache: false })).tokenIds);
    }
    const stepsBefore = engine.stats().decodeSteps;
    const prefillsBefore = engine.stats().prefillRuns;
    const batched = await Promise.all(PROMPTS.map((prompt) => generateText(engine, { prompt, maxTokens: 24, stopAtEos: false, usePrefixCache: false })));
    assert.deepEqual(batched.map((r) => r.tokenIds), isolated);
    // The prompts arrived together and were prefilled together (left-padded) too.
    assert.equal(engine.stats().prefillRuns - prefillsBefore, 1);
    // They really ran together: far fewer steps than 8 x 23.
    assert.ok(engine.stats().decodeSteps - stepsBefore <= 23 + 8, `steps ${engine.stats().decodeSteps - stepsBefore}`);
  });

  it('8 concurrent different prompts give exactly their isolated outputs (q4, MatMulNBits)', async () => {
    const q4 = await Engine.load({ modelDir: MODEL_DIR, variant: 'q4', provider: 'cpu' });
    try {
      const isolated = [];
      for (const prompt of PROMPTS) {
        isolated.push((await generateText(q4, { prompt, maxTokens: 24, stopAtEos: false, usePrefixCache: false })).tokenIds);
      }
      const batched = await Promise.all(PROMPTS.map((prompt) => generateText(q4, { prompt, maxTokens: 24, stopAtEos: false, usePrefixCache: false })));
      assert.deepEqual(batched.map((r) => r.tokenIds), isolated);
    } finally {
      await q4.dispose();
    }
  });

  it('requests joining and leaving a running batch at different steps keep their isolated outputs', async () => {
    const lengths = [30, 5, 17, 9, 24, 3, 12, 20];
    const isolated = [];
    for (let i = 0; i < PROMPTS.length; i++) {
      isolated.push((await generateText(engine, { prompt: PROMPTS[i]!, maxTokens: lengths[i]!, stopAtEos: false, usePrefixCache: false })).tokenIds);
    }
    // Start them staggered: each one after the previous one produced a few tokens.
    const results: Array<Promise<number[]>> = [];
    for (let i = 0; i < PROMPTS.length; i++) {
      const started = new Promise<void>((resolveStarted) => {
        results.push(
          (async () => {
            const ids: number[] = [];
            let seen = 0;
            for await (const ev of engine.generate({ prompt: PROMPTS[i]!, maxTokens: lengths[i]!, stopAtEos: false, usePrefixCache: false })) {
              if (ev.type === 'delta') {
                ids.push(...ev.tokenIds);
                if (++seen === 2) resolveStarted();
              }
            }
            resolveStarted();
            return ids;
          })(),
        );
      });
      await started;
    }
    assert.deepEqual(await Promise.all(results), isolated);
  });

  it('prefix cache on gives the same output as off, and prefills only the new tokens', async () => {
    engine.clearPrefixCache();
    const base = 'export function parse(input: string): Token[] {\n  const tokens: Token[] = [];\n';
    const grown = [base, `${base}  let i`, `${base}  let i = 0;\n`, `${base}  let i = 0;\n  while (i < input.length) {\n`];
    for (const prompt of grown) {
      const off = await generateText(engine, { prompt, maxTokens: 16, stopAtEos: false, usePrefixCache: false });
      const on = await generateText(engine, { prompt, maxTokens: 16, stopAtEos: false, usePrefixCache: true });
      assert.deepEqual(on.tokenIds, off.tokenIds, JSON.stringify(prompt));
      assert.equal(on.stats.promptTokens, off.stats.promptTokens);
    }
    const again = await generateText(engine, { prompt: grown[3]!, maxTokens: 16, stopAtEos: false });
    assert.equal(again.stats.reusedTokens, again.stats.promptTokens - 1, 'an exact repeat prefills only its last token');
    const longer = await generateText(engine, { prompt: `${grown[3]!}    const c = input[i];\n`, maxTokens: 4, stopAtEos: false });
    assert.ok(longer.stats.reusedTokens >= engine.encode(grown[3]!).length - 2, `reused ${longer.stats.reusedTokens}`);
    assert.ok(engine.stats().prefixCacheEntries > 0);
  });

  it('a stop sequence split across two tokens ends the output before it and is never emitted', async () => {
    const prompt = PROMPTS[1]!;
    const free = await collect(engine.generate({ prompt, maxTokens: 40, stopAtEos: false }));
    const pieces = free.deltas.map((d) => d.text);
    const full = pieces.join('');
    let stop: string | undefined;
    let offset = 0;
    for (let i = 0; i + 1 < pieces.length && !stop; i++) {
      offset += pieces[i]!.length;
      const left = pieces[i]!.slice(-2);
      const right = pieces[i + 1]!.slice(0, 2);
      if (left.length > 0 && right.length > 0 && full.indexOf(left + right) === offset - left.length) {
        stop = left + right;
      }
    }
    assert.ok(stop, `the greedy output has two adjacent non-empty pieces: ${JSON.stringify(pieces)}`);
    const stopped = await collect(engine.generate({ prompt, maxTokens: 40, stopAtEos: false, stop: [stop] }));
    const text = stopped.deltas.map((d) => d.text).join('');
    assert.equal(text, full.slice(0, full.indexOf(stop)));
    const done = stopped.done as { stats: { stopReason: string }; text: string };
    assert.equal(done.stats.stopReason, 'stop-sequence');
    assert.equal(done.text, text);
  });

  it('a stop token ends the output and is not part of the text', async () => {
    const free = await generateText(engine, { prompt: PROMPTS[3]!, maxTokens: 12, stopAtEos: false });
    const stopId = free.tokenIds[4]!;
    const cut = free.tokenIds.indexOf(stopId);
    const stopped = await generateText(engine, { prompt: PROMPTS[3]!, maxTokens: 12, stopAtEos: false, stopTokenIds: [stopId] });
    assert.deepEqual(stopped.tokenIds, free.tokenIds.slice(0, cut + 1));
    assert.equal(stopped.stats.stopReason, 'stop-token');
    assert.equal(stopped.text, engine.decode(free.tokenIds.slice(0, cut)));
  });

  it('the same seed gives the same sampled output; another seed another one', async () => {
    const request = { prompt: PROMPTS[0]!, maxTokens: 24, temperature: 1.5, topP: 0.98, stopAtEos: false };
    const a = await generateText(engine, { ...request, seed: 42 });
    const b = await generateText(engine, { ...request, seed: 42 });
    const c = await generateText(engine, { ...request, seed: 43 });
    assert.deepEqual(a.tokenIds, b.tokenIds);
    assert.notDeepEqual(a.tokenIds, c.tokenIds);
    // Batched with other requests, the seeded output does not change either.
    const [d] = await Promise.all([generateText(engine, { ...request, seed: 42 }), generateText(engine, { prompt: PROMPTS[5]!, maxTokens: 30 })]);
    assert.deepEqual(d.tokenIds, a.tokenIds);
  });

  it('stats describe the request', async () => {
    const r = await generateText(engine, { prompt: PROMPTS[4]!, maxTokens: 10, stopAtEos: false, usePrefixCache: false });
    assert.equal(r.stats.promptTokens, engine.countTokens(PROMPTS[4]!));
    assert.equal(r.stats.generatedTokens, 10);
    assert.equal(r.stats.reusedTokens, 0);
    assert.equal(r.stats.prefilledTokens, r.stats.promptTokens);
    assert.equal(r.stats.stopReason, 'max-tokens');
    assert.ok(r.stats.timeToFirstTokenMs > 0 && r.stats.tokensPerSecond > 0);
  });

  it('cancelling mid-stream throws AbortError and removes the request within one step', async () => {
    await engine.whenIdle();
    const controller = new AbortController();
    let received = 0;
    let stepsAtAbort = 0;
    await assert.rejects(
      (async () => {
        for await (const ev of engine.generate({ prompt: PROMPTS[6]!, maxTokens: 500, stopAtEos: false }, controller.signal)) {
          if (ev.type === 'delta' && ++received === 3) {
            stepsAtAbort = engine.stats().decodeSteps;
            controller.abort();
          }
        }
      })(),
      (err: unknown) => isAbortError(err),
    );
    await engine.whenIdle();
    const stats = engine.stats();
    assert.ok(stats.decodeSteps - stepsAtAbort <= 1, `${stats.decodeSteps - stepsAtAbort} steps after the abort`);
    assert.equal(stats.activeRequests, 0);
    assert.equal(stats.liveKvBytes, 0);
  });

  it('leaving the loop early cancels the request too', async () => {
    for await (const ev of engine.generate({ prompt: PROMPTS[7]!, maxTokens: 500, stopAtEos: false })) {
      if (ev.type === 'delta') break;
    }
    await engine.whenIdle();
    assert.equal(engine.stats().activeRequests, 0);
    assert.equal(engine.stats().liveKvBytes, 0);
  });

  it('1,000 cancelled requests leave no live KV state and no requests behind', async () => {
    const small = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu', prefixCacheBytes: 1 << 20, maxQueue: 64 });
    try {
      let cancelled = 0;
      for (let wave = 0; wave < 20; wave++) {
        const runs = Array.from({ length: 50 }, async (_, i) => {
          const controller = new AbortController();
          const n = wave * 50 + i;
          // Two thirds are cancelled while queued or prefilling, one third after their first token.
          const early = n % 3 !== 1;
          try {
            const events = small.generate({ prompt: `// ${n}\n${PROMPTS[n % PROMPTS.length]!.slice(0, 12)}`, maxTokens: 100, stopAtEos: false, priority: n % 2 ? 'chat' : 'background' }, controller.signal);
            const iterator = events[Symbol.asyncIterator]();
            const first = iterator.next(); // submits the request
            if (early) controller.abort();
            for (let result = await first; !result.done; result = await iterator.next()) {
              if (result.value.type === 'delta') controller.abort();
            }
          } catch (err) {
            if (!isAbortError(err)) throw err;
            cancelled++;
          }
        });
        await Promise.all(runs);
      }
      await small.whenIdle();
      const stats = small.stats();
      assert.equal(cancelled, 1000);
      assert.equal(stats.activeRequests, 0);
      assert.equal(stats.queuedRequests, 0);
      assert.equal(stats.liveKvBytes, 0);
      assert.ok(stats.prefixCacheBytes <= 1 << 20, `prefix cache ${stats.prefixCacheBytes} bytes`);
      // And the engine still answers.
      const after = await generateText(small, { prompt: PROMPTS[0]!, maxTokens: 3, stopAtEos: false });
      assert.equal(after.tokenIds.length, 3);
    } finally {
      await small.dispose();
    }
  });

  it('an interactive request finishes while a long chat answer keeps streaming', async () => {
    let chatTokens = 0;
    let chatTokensWhenKeyDone = -1;
    const chat = (async () => {
      for await (const ev of engine.generate({ prompt: PROMPTS[2]!, maxTokens: 120, stopAtEos: false, priority: 'chat' })) {
        if (ev.type === 'delta') chatTokens += ev.tokenIds.length;
      }
    })();
    while (chatTokens < 5) await new Promise((r) => setImmediate(r));
    const key = await generateText(engine, { prompt: PROMPTS[5]!, maxTokens: 4, stopAtEos: false, priority: 'interactive' });
    chatTokensWhenKeyDone = chatTokens;
    await chat;
    assert.equal(key.tokenIds.length, 4);
    assert.ok(chatTokensWhenKeyDone < 60, `the keystroke waited for ${chatTokensWhenKeyDone} chat tokens`);
    assert.equal(chatTokens, 120);
  });

  it('dispose cancels running requests and later calls fail clearly', async () => {
    const own = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
    const running = (async () => {
      for await (const ev of own.generate({ prompt: PROMPTS[0]!, maxTokens: 500, stopAtEos: false })) {
        if (ev.type === 'delta') await own.dispose();
      }
    })();
    await assert.rejects(running, (err: unknown) => isAbortError(err));
    await assert.rejects(generateText(own, { prompt: 'x', maxTokens: 1 }), /disposed/);
  });

  it('requests the engine cannot serve fail with typed errors before any model work', async () => {
    const tooLong = Array.from({ length: engine.model.contextLength }, () => engine.encode('a')[0]!);
    await assert.rejects(generateText(engine, { prompt: tooLong }), (err: Error & { code?: string }) => err.code === 'prompt-too-long');
    await assert.rejects(generateText(engine, { prompt: [] }), (err: Error & { code?: string }) => err.code === 'empty-prompt');
    await assert.rejects(generateText(engine, { prompt: [engine.model.config.vocabSize + 5] }), (err: Error & { code?: string }) => err.code === 'invalid-request');
    await assert.rejects(generateText(engine, { prompt: 'x', topP: 0 }), (err: Error & { code?: string }) => err.code === 'invalid-request');
    const near = tooLong.slice(0, engine.model.contextLength - 3);
    const clamped = await generateText(engine, { prompt: near, maxTokens: 50, stopAtEos: false, usePrefixCache: false });
    assert.equal(clamped.stats.generatedTokens, 3);
    assert.equal(clamped.stats.stopReason, 'context-full');
  });

  it('forcedPrefix: forcing the text greedy decoding would produce anyway changes nothing but leaves that text out', async () => {
    const prompt = PROMPTS[0]!;
    const free = await generateText(engine, { prompt, maxTokens: 12, stopAtEos: false });
    const first = engine.decode(free.tokenIds.slice(0, 1));
    assert.ok(first.length > 0 && free.text.startsWith(first), `first token ${JSON.stringify(first)}`);
    const forced = await generateText(engine, { prompt, maxTokens: 11, stopAtEos: false, forcedPrefix: first });
    assert.deepEqual(forced.tokenIds, free.tokenIds);
    assert.equal(forced.text, free.text.slice(first.length));
  });

  it('forcedPrefix: the output spells text the model would not choose, multi-byte characters included, and continues after it', async () => {
    for (const text of ['zqxj', ' naïve_日本']) {
      const done = await generateText(engine, { prompt: 'const value = 1;\nconst', maxTokens: 4, stopAtEos: false, forcedPrefix: text });
      const spelled = engine.decode(done.tokenIds);
      assert.ok(spelled.startsWith(text), `${JSON.stringify(spelled)} starts with ${JSON.stringify(text)}`);
      assert.equal(done.text, spelled.slice(text.length));
      // maxTokens counts what follows the forced text.
      assert.ok(done.stats.generatedTokens > 4, `${done.stats.generatedTokens} tokens`);
      assert.ok(done.text.length > 0);
    }
    assert.equal(engine.supportsForcedPrefix, true);
  });

  it('forcedPrefix: stop sequences see only the text after the forced part', async () => {
    const done = await generateText(engine, { prompt: 'let x = 1;\nlet', maxTokens: 8, stopAtEos: false, forcedPrefix: ' y', stop: ['y'] });
    assert.ok(engine.decode(done.tokenIds).startsWith(' y'));
    assert.ok(!done.text.includes('y'));
  });

  it('a full queue answers BusyError', async () => {
    const tiny = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu', maxBatch: 1, maxQueue: 2 });
    try {
      const runs = Array.from({ length: 6 }, (_, i) => generateText(tiny, { prompt: PROMPTS[i]!, maxTokens: 2 }).then(() => 'ok', (err: Error) => err.name));
      const outcomes = await Promise.all(runs);
      assert.ok(outcomes.includes('BusyError'), outcomes.join());
      assert.ok(outcomes.includes('ok'));
    } finally {
      await tiny.dispose();
    }
  });
});
