import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '../../../src/engine/prng';
import { GREEDY } from '../../../src/engine/sampling';
import { Sequence } from '../../../src/engine/sequence';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import type { GenerateEvent } from '../../../src/engine/types';
import { MODEL_DIR, modelPresent } from './modelFixture';

const describeModel = modelPresent ? describe : describe.skip;

const TEXT = 'const greeting = "こんにちは 世界 😀👍🏽 — naïve café";\n';

describeModel('engine streaming of multibyte text with the bundled tokenizer (skipped when models/autoglm-coder is absent)', () => {
  let tokenizer: TextTokenizer;

  before(() => {
    const json = JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const config = JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    tokenizer = TextTokenizer.create('tokenizer.json', json, config);
  });

  /** Runs token ids through a Sequence as if the model had generated them. */
  async function stream(ids: number[], stop: string[] = []): Promise<{ texts: string[]; done: Extract<GenerateEvent, { type: 'done' }> }> {
    const seq = new Sequence({
      order: 0,
      priority: 'chat',
      prompt: [0],
      maxTokens: ids.length,
      limitReason: 'max-tokens',
      sampling: GREEDY,
      random: seededRandom(0),
      stop,
      stopTokenIds: new Set(),
      usePrefixCache: false,
      detokenizer: tokenizer.createDetokenizer(),
      signal: undefined,
      now: () => 0,
    });
    for (const id of ids) {
      seq.accept(id);
      if (seq.finished) break;
    }
    seq.close();
    const texts: string[] = [];
    let done: Extract<GenerateEvent, { type: 'done' }> | undefined;
    for await (const ev of seq.events) {
      if (ev.type === 'delta') texts.push(ev.text);
      else done = ev;
    }
    assert.ok(done);
    return { texts, done };
  }

  it('the tokenizer splits some of these characters across tokens (precondition)', () => {
    const ids = tokenizer.encode(TEXT);
    const pieces = ids.map((id) => tokenizer.decode([id]));
    assert.ok(pieces.some((p) => p.includes('\uFFFD')), 'at least one token holds part of a character');
  });

  it('streamed pieces never contain a broken character and add up to the text', async () => {
    const ids = tokenizer.encode(TEXT);
    const { texts, done } = await stream(ids);
    assert.equal(texts.join(''), TEXT);
    assert.equal(done.text, TEXT);
    for (const t of texts) {
      assert.ok(!t.includes('\uFFFD'), JSON.stringify(t));
      assert.ok(!/[\uD800-\uDBFF]$/.test(t) && !/^[\uDC00-\uDFFF]/.test(t), 'no split surrogate pair');
    }
    assert.ok(texts.some((t) => t === ''), 'some tokens emitted nothing while a character was incomplete');
  });

  it('a multibyte stop sequence split across tokens is found and not emitted', async () => {
    const ids = tokenizer.encode(TEXT);
    const { texts, done } = await stream(ids, ['😀👍']);
    assert.equal(texts.join(''), TEXT.slice(0, TEXT.indexOf('😀')));
    assert.equal(done.stats.stopReason, 'stop-sequence');
  });

  it('output cut by max tokens inside a character drops the partial bytes', async () => {
    const ids = tokenizer.encode(TEXT);
    const pieces = ids.map((id) => tokenizer.decode([id]));
    const cut = pieces.findIndex((p) => p.includes('\uFFFD')) + 1;
    const { done } = await stream(ids.slice(0, cut));
    assert.ok(!done.text.includes('\uFFFD'));
    assert.ok(TEXT.startsWith(done.text));
  });
});
