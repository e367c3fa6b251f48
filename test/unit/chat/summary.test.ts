import * as assert from 'node:assert/strict';
import { chatBudget, chatContextTokens } from '../../../src/chat/modelWindow';
import { extractSummary, summaryFor, summaryTranscript } from '../../../src/chat/summary';
import type { ChatTurn } from '../../../src/chat/types';

let seq = 0;
const turn = (role: 'user' | 'assistant', content: string): ChatTurn => ({ id: `t${++seq}`, role, content, createdAt: seq });

describe('summaries of dropped chat turns', () => {
  const turns = [
    turn('user', 'Why does priceOf return NaN for an empty cart?'),
    turn('assistant', 'Because `CartItem.quantity` is undefined; see cart_total.'),
    turn('user', `Rewrite it please. ${'x'.repeat(200)}`),
    turn('assistant', 'Done.'),
  ];

  it('extracts the questions, shortened, and the code names either side mentioned', () => {
    assert.equal(
      extractSummary(turns),
      ['The user asked:', '- Why does priceOf return NaN for an empty cart?', `- Rewrite it please. ${'x'.repeat(80)}…`, 'Code mentioned: priceOf, CartItem, quantity, cart_total'].join('\n'),
    );
  });

  it("uses the model's summary for the turns it covers and extracts the rest", () => {
    const written = { text: 'They discussed priceOf.', turnIds: [turns[0]!.id, turns[1]!.id] };
    assert.deepEqual(summaryFor(turns.slice(0, 2), written), { text: 'They discussed priceOf.', byModel: true });
    assert.deepEqual(summaryFor(turns, written), { text: `They discussed priceOf.\n${extractSummary(turns.slice(2))}`, byModel: true });
    assert.deepEqual(summaryFor(turns.slice(1), written), { text: extractSummary(turns.slice(1)), byModel: false }, 'a summary of other turns does not stand in');
  });

  it('shows the summarising model each turn with its speaker', () => {
    assert.match(summaryTranscript(turns.slice(0, 2)), /^User: Why does priceOf[^\n]*\n\nAssistant: Because/);
  });
});

describe('the chat budget of the model that answers', () => {
  it("takes the bundled model's trained 512-token window, not the 2,048 its config declares", () => {
    assert.equal(chatContextTokens({ modelName: 'autoglm-coder', contextLength: 2048 }), 512);
    assert.deepEqual(chatBudget({ modelName: 'autoglm-coder', contextLength: 2048 }, 512), { contextTokens: 512, answerTokens: 256 });
  });

  it("takes another model's declared window, and a default until it is known", () => {
    assert.deepEqual(chatBudget({ modelName: 'Qwen2.5-Coder-1.5B', modelFamily: 'qwen2.5-coder', contextLength: 32768 }, 512), { contextTokens: 32768, answerTokens: 512 });
    assert.equal(chatContextTokens({ modelName: 'remote-model' }), 2048);
  });
});
