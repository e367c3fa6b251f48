import * as assert from 'node:assert/strict';
import { ToolInputError } from '../../../../src/agent/types';
import { checkRelativeGlob } from '../../../../src/host/agent/globPattern';
import { optionalBoolean, optionalInteger, optionalString, requiredString } from '../../../../src/host/agent/toolArgs';

describe('tool argument readers', () => {
  it('reads strings, booleans and bounded whole numbers', () => {
    assert.equal(requiredString({ a: 'x' }, 'a'), 'x');
    assert.equal(optionalString({}, 'a'), undefined);
    assert.equal(optionalString({ a: '' }, 'a'), undefined);
    assert.equal(optionalBoolean({ a: false }, 'a'), false);
    assert.equal(optionalInteger({ a: 5 }, 'a', 1, 10), 5);
    assert.equal(optionalInteger({ a: '7' }, 'a', 1, 10), 7);
    assert.equal(optionalInteger({ a: null }, 'a', 1, 10), undefined);
  });

  it('names the argument and what is wrong', () => {
    assert.throws(() => requiredString({}, 'path'), (e: unknown) => e instanceof ToolInputError && e.message === '`path` is required and must be a non-empty string.');
    assert.throws(() => optionalString({ a: 1 }, 'a'), ToolInputError);
    assert.throws(() => optionalBoolean({ a: 'yes' }, 'a'), ToolInputError);
    assert.throws(() => optionalInteger({ n: 11 }, 'n', 1, 10), (e: unknown) => e instanceof ToolInputError && e.message === '`n` must be a whole number from 1 to 10.');
    assert.throws(() => optionalInteger({ n: 1.5 }, 'n', 1, 10), ToolInputError);
  });

  it('keeps globs relative to the workspace folder', () => {
    assert.equal(checkRelativeGlob(' src/**/*.ts '), 'src/**/*.ts');
    assert.throws(() => checkRelativeGlob('/etc/*'), ToolInputError);
    assert.throws(() => checkRelativeGlob('C:\\x\\*'), ToolInputError);
    assert.throws(() => checkRelativeGlob('../**'), ToolInputError);
    assert.throws(() => checkRelativeGlob('src/../../x'), ToolInputError);
    assert.throws(() => checkRelativeGlob(''), ToolInputError);
  });
});
