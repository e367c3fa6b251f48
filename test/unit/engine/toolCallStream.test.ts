/** The stream stage that parses Hermes-form tool calls out of the engine's text. */
import * as assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/common/logger';
import type { GenerateEvent, GenerateStats } from '../../../src/engine';
import { parseCall, splitToolCalls, type ChatEvent } from '../../../src/engine/toolCallStream';

const STATS: GenerateStats = { promptTokens: 5, reusedTokens: 0, generatedTokens: 9, timeToFirstTokenMs: 1, tokensPerSecond: 1, stopReason: 'stop-token', prefilledTokens: 5, queueMs: 0, totalMs: 2 };

/** The engine's events for these text pieces, one token per piece. */
async function* engineEvents(pieces: readonly string[], stopReason: GenerateStats['stopReason'] = 'stop-token'): AsyncGenerator<GenerateEvent> {
  let id = 100;
  for (const text of pieces) yield { type: 'delta', text, tokenIds: [id++] };
  yield { type: 'done', text: pieces.join(''), tokenIds: pieces.map((_, i) => 100 + i), stats: { ...STATS, stopReason } };
}

async function run(pieces: readonly string[], logger?: MemoryLogger, stopReason?: GenerateStats['stopReason']): Promise<ChatEvent[]> {
  let n = 0;
  const out: ChatEvent[] = [];
  for await (const e of splitToolCalls(engineEvents(pieces, stopReason), { open: '<tool_call>', close: '</tool_call>', names: new Set(['read_file', 'list_files']), newId: () => `call_${++n}`, ...(logger ? { logger } : {}) })) {
    out.push(e);
  }
  return out;
}

const texts = (events: ChatEvent[]): string => events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
const calls = (events: ChatEvent[]): unknown[] => events.flatMap((e) => (e.type === 'tool-call' ? [e.call] : []));
const done = (events: ChatEvent[]): Extract<ChatEvent, { type: 'done' }> => events.at(-1) as Extract<ChatEvent, { type: 'done' }>;

/** Every split of `text` into pieces of `size` characters. */
const chop = (text: string, size: number): string[] => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

describe('tool call stream stage', () => {
  const answer = 'Let me look.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "src/a.ts"}}\n</tool_call>\n<tool_call>\n{"name": "list_files", "arguments": {"glob": "**/*.md"}}\n</tool_call>';

  it('turns each block into one call with an id and compact JSON arguments, the rest into text, whatever the piece size', async () => {
    for (const size of [1, 2, 3, 7, 11, answer.length]) {
      const events = await run(chop(answer, size));
      assert.equal(texts(events), 'Let me look.', `piece size ${size}`);
      assert.deepEqual(calls(events), [
        { id: 'call_1', name: 'read_file', arguments: '{"path":"src/a.ts"}' },
        { id: 'call_2', name: 'list_files', arguments: '{"glob":"**/*.md"}' },
      ]);
      assert.equal(done(events).stats.stopReason, 'tool-calls');
      assert.equal(done(events).text, 'Let me look.');
    }
  });

  it('keeps every delta (with its token ids) so that token accounting is unchanged', async () => {
    const pieces = chop(answer, 5);
    const events = await run(pieces);
    const ids = events.flatMap((e) => (e.type === 'delta' ? e.tokenIds : []));
    assert.deepEqual(ids, pieces.map((_, i) => 100 + i));
  });

  it('puts the call after the text before it and before the text after it', async () => {
    const events = await run(['Before <tool_call>{"name": "read_file", "arguments": {"path": "x"}}</tool_call> after.']);
    assert.deepEqual(
      events.map((e) => (e.type === 'delta' ? `t:${e.text}` : e.type === 'tool-call' ? `c:${e.call.name}` : 'done')),
      ['t:Before', 'c:read_file', 't: after.', 'done'],
    );
  });

  it('passes text without calls through unchanged, holding only what could start a marker, and keeps the stop reason', async () => {
    const text = 'a < b and <tool is not a call; x <tool_cal\n  ';
    const events = await run(chop(text, 3));
    assert.equal(texts(events), text);
    assert.deepEqual(calls(events), []);
    assert.equal(done(events).stats.stopReason, 'stop-token');
  });

  it('passes a malformed block through as text, logs it, and makes no call of it', async () => {
    const logger = new MemoryLogger('debug');
    const bad = ['<tool_call>\n{"name": "read_file", "arguments": {"path": }\n</tool_call>', '<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>', '<tool_call>["read_file"]</tool_call>'];
    for (const block of bad) {
      const events = await run(chop(block, 4), logger);
      assert.equal(texts(events), block);
      assert.deepEqual(calls(events), []);
      assert.equal(done(events).stats.stopReason, 'stop-token');
    }
    assert.equal(logger.records.filter((r) => r.level === 'warn' && /not well formed/.test(r.msg)).length, 3);
  });

  it('a call cut off by the token limit is text, and the stop reason stays max-tokens', async () => {
    const events = await run(['Sure.\n<tool_call>\n{"name": "read_file", "argu'], undefined, 'max-tokens');
    assert.equal(texts(events), 'Sure.\n<tool_call>\n{"name": "read_file", "argu');
    assert.equal(done(events).stats.stopReason, 'max-tokens');
  });

  it('gives up on a block longer than the bound and passes it on as text', async () => {
    const long = `<tool_call>{"name": "read_file", "arguments": {"path": "${'x'.repeat(300)}"}}</tool_call>`;
    const out: ChatEvent[] = [];
    for await (const e of splitToolCalls(engineEvents(chop(long, 50)), { open: '<tool_call>', close: '</tool_call>', names: new Set(['read_file']), maxCallChars: 100 })) out.push(e);
    assert.equal(texts(out), long);
    assert.deepEqual(calls(out), []);
  });

  it('parses arguments given as a JSON string, and no arguments as {}', () => {
    const names = new Set(['f']);
    assert.deepEqual(parseCall('{"name": "f", "arguments": "{\\"a\\": 1}"}', names, 'c'), { id: 'c', name: 'f', arguments: '{"a":1}' });
    assert.deepEqual(parseCall('{"name": "f"}', names, 'c'), { id: 'c', name: 'f', arguments: '{}' });
    assert.equal(parseCall('{"name": "f", "arguments": [1]}', names, 'c'), '"arguments" is not a JSON object');
    assert.equal(parseCall('{"arguments": {}}', names, 'c'), 'no "name"');
  });
});
