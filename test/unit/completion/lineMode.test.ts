import assert from 'node:assert/strict';
import { chooseLineMode, isInComment } from '../../../src/completion/lineMode';
import { snapshot } from './fixtures';

function mode(marked: string, languageId = 'typescript'): string {
  const s = snapshot(marked);
  return chooseLineMode(s.text, s.offset, languageId).reason;
}

describe('completion/lineMode', () => {
  it('is single-line mid-line', () => {
    assert.equal(mode('const x = ║ + 1;'), 'mid-line');
  });

  it('is multi-line after a block opener, also before the closing bracket', () => {
    assert.equal(mode('if (x) {║}'), 'block-opener');
    assert.equal(mode('function f() {║\n}'), 'block-opener');
  });

  it('is multi-line on an empty line', () => {
    assert.equal(mode('function f() {\n    ║\n}'), 'empty-line');
    assert.equal(mode('║'), 'empty-line');
  });

  it('is single-line at the end of a statement that is not a block opener', () => {
    assert.equal(mode('const total = ║'), 'line-end');
  });

  it('is single-line in a line comment, but not for // inside a string', () => {
    assert.equal(mode('// compute the ║'), 'comment');
    assert.equal(mode('const url = "http://║"'), 'line-end');
    assert.equal(mode('x = 1  # the ║', 'python'), 'comment');
  });

  it('is single-line inside an unclosed block comment', () => {
    assert.equal(mode('/**\n * Adds two numbers.\n * ║'), 'comment');
    assert.equal(isInComment('/* done */\nlet a = 1;', 20, 'typescript'), false);
  });

  it('knows Python block openers and Rust/Go braces', () => {
    assert.equal(mode('def area(r):║', 'python'), 'block-opener');
    assert.equal(mode('fn main() {║', 'rust'), 'block-opener');
    assert.equal(mode('func main() {\r\n\t║\r\n}', 'go'), 'empty-line');
  });

  it('has no comments in JSON', () => {
    assert.equal(mode('{"url": "a#b", ║', 'json'), 'line-end');
  });
});
