/** Binding a template's variables: what the editor supplies, what is asked, budgets in tokens, cancellation. */
import * as assert from 'node:assert/strict';
import type { TokenCounter } from '../../../src/common/tokens';
import type { TemplateMeta, VariableSpec } from '../../../src/templates/types';
import { bindVariables, offeredValues, type AskUser, type VariableQuestion } from '../../../src/templates/variables';

function variable(name: string, type: VariableSpec['type'], extra: Partial<VariableSpec> = {}): VariableSpec {
  return { name, type, required: true, description: '', line: 3, ...extra };
}

function meta(variables: VariableSpec[]): TemplateMeta {
  return { id: 'test', title: 'Test', description: '', version: '1.0.0', kind: 'command', repoLevel: false, variables, params: {}, appliesTo: [], keyLines: {} };
}

/** One character, one token: budgets are easy to read off the expected text. */
const perChar: TokenCounter = (text) => text.length;
/** One token per word: a budget in characters would cut elsewhere. */
const perWord: TokenCounter = (text) => text.split(/\s+/).filter((w) => w !== '').length;

/** Answers from a script in order, recording each question; an exhausted script cancels. */
function scripted(...answers: (string | undefined)[]): AskUser & { questions: VariableQuestion[] } {
  const questions: VariableQuestion[] = [];
  const ask = async (q: VariableQuestion): Promise<string | undefined> => {
    questions.push(q);
    return answers.shift();
  };
  return Object.assign(ask, { questions });
}

describe('templates: binding variables', () => {
  it('asks for an enum with its values as choices, and a boolean with true and false', async () => {
    const ask = scripted('formal', 'false');
    const values = await bindVariables(meta([variable('tone', 'enum', { values: ['casual', 'formal'], description: 'How to sound' }), variable('short', 'boolean')]), {}, ask, { count: perChar });
    assert.deepEqual(values, { tone: 'formal', short: false });
    const [tone, short] = ask.questions;
    assert.equal(tone?.kind, 'pick');
    assert.deepEqual(tone?.kind === 'pick' ? tone.choices : undefined, ['casual', 'formal']);
    assert.equal(tone?.title, 'Test: tone');
    assert.equal(tone?.kind === 'pick' ? tone.placeholder : undefined, 'How to sound');
    assert.deepEqual(short?.kind === 'pick' ? short.choices : undefined, ['true', 'false']);
  });

  it('asks for other types with a validated text question and converts the answer', async () => {
    const ask = scripted('42');
    const values = await bindVariables(meta([variable('count', 'number')]), {}, ask, { count: perChar, label: '/explain' });
    assert.deepEqual(values, { count: 42 });
    const [q] = ask.questions;
    assert.equal(q?.kind, 'text');
    assert.equal(q?.title, '/explain: count');
    assert.equal(q?.kind === 'text' ? q.prompt : undefined, 'Value of count (number)');
    assert.equal(q?.kind === 'text' ? q.validate('many') : undefined, "'many' is not a number");
    assert.equal(q?.kind === 'text' ? q.validate('7') : undefined, undefined);
  });

  it('does not ask for an optional variable with a default, nor for one the editor supplies', async () => {
    const ask = scripted();
    const spec = meta([variable('style', 'string', { required: false, default: 'plain' }), variable('selection', 'code'), variable('language', 'string')]);
    const values = await bindVariables(spec, { selection: 'x = 1', language: 'python' }, ask, { count: perChar });
    assert.deepEqual(values, { selection: 'x = 1', language: 'python' });
    assert.equal(ask.questions.length, 0);
  });

  it('asks for the required variables the editor does not supply, in declaration order', async () => {
    const ask = scripted('a.ts', 'explain it');
    const values = await bindVariables(meta([variable('filePath', 'string'), variable('selection', 'code', { required: false }), variable('goal', 'string')]), {}, ask, { count: perChar });
    assert.deepEqual(values, { filePath: 'a.ts', goal: 'explain it' });
    assert.deepEqual(ask.questions.map((q) => q.variable.name), ['filePath', 'goal']);
  });

  it('returns undefined when the user cancels a question, and asks nothing after it', async () => {
    const ask = scripted(undefined, 'never asked');
    const values = await bindVariables(meta([variable('first', 'string'), variable('second', 'string')]), {}, ask, { count: perChar });
    assert.equal(values, undefined);
    assert.equal(ask.questions.length, 1);
  });

  it('returns undefined for an answer that is not of the variable type', async () => {
    assert.equal(await bindVariables(meta([variable('tone', 'enum', { values: ['a', 'b'] })]), {}, scripted('c'), { count: perChar }), undefined);
  });

  it('cuts the file, the prefix and the suffix to the budget in tokens of the given counter', async () => {
    const fileText = 'one two three four five six seven eight';
    const cursor = fileText.indexOf('five');
    const spec = meta(['fileContent', 'selection', 'prefix', 'suffix'].map((name) => variable(name, 'code')));
    const values = offeredValues(spec, { fileText, cursor, selection: '' }, { count: perWord, fileContentTokens: 8 });
    assert.equal(values['fileContent'], fileText);
    const cut = offeredValues(spec, { fileText, cursor, selection: '' }, { count: perWord, fileContentTokens: 3 });
    assert.equal(cut['fileContent'], 'one two three ');
    assert.equal(cut['selection'], 'one two three ', 'an empty selection stands for the file, cut the same way');
    assert.equal(cut['prefix'], ' two three four ', 'the prefix keeps its end, next to the cursor');
    assert.equal(cut['suffix'], '', 'the suffix gets a quarter of the budget');
    const wider = offeredValues(spec, { fileText, cursor }, { count: perWord, fileContentTokens: 8 });
    assert.equal(wider['suffix'], 'five six ');
  });

  it('keeps a selection whole and measures budgets in tokens, not characters', async () => {
    const fileText = 'x'.repeat(100);
    const spec = meta([variable('fileContent', 'code'), variable('selection', 'code')]);
    const values = offeredValues(spec, { fileText, selection: 'the selection' }, { count: perChar, fileContentTokens: 10 });
    assert.equal(values['fileContent'], 'x'.repeat(10));
    assert.equal(values['selection'], 'the selection');
    const oneToken = offeredValues(spec, { fileText }, { count: () => 1, fileContentTokens: 10 });
    assert.equal(oneToken['fileContent'], fileText);
  });

  it('gives the typed text to the first free-text variable the template declares', () => {
    const values = offeredValues(meta([variable('question', 'string'), variable('request', 'string')]), { freeText: '  why?  ' }, { count: perChar });
    assert.deepEqual(values, { question: 'why?' });
  });

  it('offers only declared variables, and skips empty texts except an empty prefix or suffix', () => {
    const spec = meta([variable('diagnostics', 'string'), variable('diff', 'code'), variable('prefix', 'code'), variable('suffix', 'code'), variable('repoName', 'string')]);
    const values = offeredValues(spec, { diagnostics: '', diff: '  \n', fileText: 'abc', cursor: 0, filePath: 'a.ts' }, { count: perChar });
    assert.deepEqual(values, { prefix: '', suffix: 'abc', repoName: 'workspace' });
  });

  it('runs the counter only for the file-sized variables the template declares', () => {
    let calls = 0;
    const counting: TokenCounter = (text) => {
      calls++;
      return text.length;
    };
    const values = offeredValues(meta([variable('language', 'string'), variable('constructor', 'string', { required: false })]), { fileText: 'x'.repeat(50), cursor: 10, language: 'go' }, { count: counting });
    assert.deepEqual(values, { language: 'go' });
    assert.equal(calls, 0);
  });
});
