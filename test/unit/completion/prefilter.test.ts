import assert from 'node:assert/strict';
import { isLanguageEnabled, prefilter } from '../../../src/completion/prefilter';
import { settings, snapshot } from './fixtures';

describe('completion/prefilter', () => {
  it('lets a plain end-of-line request through', () => {
    assert.equal(prefilter(snapshot('const x = ║'), settings()), undefined);
  });

  it('skips when completions are off', () => {
    assert.equal(prefilter(snapshot('const x = ║'), settings({ enabled: false })), 'disabled');
  });

  it('skips a language switched off, and honours the * fallback', () => {
    assert.equal(prefilter(snapshot('{"a": ║}', { languageId: 'json' }), settings({ languages: { json: false } })), 'language-disabled');
    assert.equal(prefilter(snapshot('x = ║', { languageId: 'python' }), settings({ languages: { '*': false, python: true } })), undefined);
    assert.equal(isLanguageEnabled('go', { '*': false }), false);
  });

  it('skips while a selection is active', () => {
    assert.equal(prefilter(snapshot('let a = ║b;', { selectionEmpty: false }), settings()), 'selection');
  });

  it('skips inside a word with an identifier right after the cursor', () => {
    assert.equal(prefilter(snapshot('const fo║obar = 1;'), settings()), 'mid-word');
  });

  it('treats non-ASCII letters as part of a word', () => {
    assert.equal(prefilter(snapshot('const größ║e = 1;'), settings()), 'mid-word');
    assert.equal(prefilter(snapshot('const 名║前 = 1;'), settings()), 'mid-word');
  });

  it('does not skip before a closing bracket or at the end of a word', () => {
    assert.equal(prefilter(snapshot('foo(bar║)'), settings()), undefined);
    assert.equal(prefilter(snapshot('return valu║'), settings()), undefined);
  });

  it('skips a file larger than the limit', () => {
    const big = `${'x'.repeat(5000)}\n║`;
    assert.equal(prefilter(snapshot(big), settings({ maxFileChars: 4000 })), 'file-too-large');
    assert.equal(prefilter(snapshot(big), settings()), undefined);
  });

  it('accepts a selected IntelliSense item that starts with what was typed', () => {
    assert.equal(prefilter(snapshot('console.«lo║', { itemText: 'log' }), settings()), undefined);
  });

  it('skips a selected IntelliSense item the completion would contradict (fuzzy match)', () => {
    assert.equal(prefilter(snapshot('«cnst║', { itemText: 'const' }), settings()), 'intellisense-conflict');
  });
});
