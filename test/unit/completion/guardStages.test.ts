import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/common/logger';
import { bracketDebt } from '../../../src/completion/bracketBalance';
import { GUARD_NAMES, GUARDS, runGuards, type Guard, type GuardInput } from '../../../src/completion/guards';
import { keepBracketStructure } from '../../../src/completion/guards/bracketStructure';
import { rebaseIndentation } from '../../../src/completion/guards/indentation';
import { keepMidLineToOneLine } from '../../../src/completion/guards/midLine';
import { trimTypedOperator } from '../../../src/completion/guards/operator';
import { cutRepetition, repetitionCut } from '../../../src/completion/guards/repetition';
import { trimSuffixDuplicate } from '../../../src/completion/guards/suffixDuplicate';
import { CURSOR } from './fixtures';

/** A guard's input from a cursor-marker document and the completion at the cursor. */
function at(marked: string, text: string, languageId = 'typescript'): GuardInput {
  const cursor = marked.indexOf(CURSOR);
  return { text, prefix: marked.slice(0, cursor), suffix: marked.slice(cursor + CURSOR.length), languageId, insertSpaces: true, tabSize: 4 };
}

function output(guard: Guard, input: GuardInput): string | undefined {
  const result = guard(input);
  return 'drop' in result ? undefined : result.text;
}

const C_LIKE = { lineComment: '//', blockComment: ['/*', '*/'] as const, quotes: ['"', "'", '`'] };

describe('completion/guards one by one', () => {
  it('lists every guard once, in the order they run', () => {
    assert.deepEqual(GUARDS.map((g) => g.name), [...GUARD_NAMES]);
  });

  it('indentation: leaves a line that is not blank before the cursor alone', () => {
    assert.equal(output(rebaseIndentation, at('x = ║', '  1')), '  1');
    assert.equal(output(rebaseIndentation, at('    ║', '\n    a();')), '\n    a();');
  });

  it('indentation: moves later lines no further left than column 0', () => {
    assert.equal(output(rebaseIndentation, at('    ║', '  a();\n}')), 'a();\n}');
  });

  it('repetition: finds units of one to four tokens, not punctuation runs', () => {
    assert.equal(repetitionCut('go go go go go'), 'go go go'.length);
    assert.equal(repetitionCut('f(g(h(i(x))))'), undefined);
    assert.equal(repetitionCut('a.b(1); a.b(1); a.b(1); a.b(1);'), undefined, 'a unit of 7 tokens is longer than looked for');
    assert.equal(repetitionCut('x, y, x, y, x, y, x, y'), undefined, 'the fourth copy of the unit `x , y ,` is not complete');
    assert.equal(repetitionCut('x, y, x, y, x, y, x, y, x'), 'x, y, x, y, x, y'.length);
  });

  it('repetition: drops the lines after the looping one', () => {
    assert.equal(output(cutRepetition, at('║', 'ok ok ok ok ok\nnext();')), 'ok ok ok');
  });

  it('mid-line: keeps a completion that breaks the line at the cursor', () => {
    assert.equal(output(keepMidLineToOneLine, at('if (x) {║}', '\n    a();\n')), '\n    a();\n');
    assert.equal(output(keepMidLineToOneLine, at('f(║)', 'a,\n  b')), 'a,');
    assert.equal(output(keepMidLineToOneLine, at('f(║)\n', 'a)\nb')), 'a');
  });

  it("mid-line: ends at the editor's closer only where that closer then closes the completion", () => {
    assert.equal(output(keepMidLineToOneLine, at('if (a && (b║)', ') && c')), ') && c');
    assert.equal(output(keepMidLineToOneLine, at('f(║);', '")", 1 /* ) */')), '")", 1 /* ) */');
  });

  it('operator: needs the same operator on both sides', () => {
    assert.equal(output(trimTypedOperator, at('x = ║', '== y')), '== y');
    assert.equal(output(trimTypedOperator, at('this.║', '.items')), 'items');
    assert.equal(output(trimTypedOperator, at('[..║', '.rest]')), '.rest]');
    assert.equal(output(trimTypedOperator, at('x = cond ? :a : ║', ':b')), ':b');
    assert.equal(output(trimTypedOperator, at('def f():║', '\n    pass')), '\n    pass');
  });

  it('suffix duplicate: a closer after code is kept when the next line does not start with it', () => {
    assert.equal(output(trimSuffixDuplicate, at('    return n ║\n    foo();', '}')), '}');
  });

  it('suffix duplicate: trivial next lines are left to the closers guard', () => {
    assert.equal(output(trimSuffixDuplicate, at('    ║\n    }', 'a();\n    }')), 'a();\n    }');
  });

  it('bracket structure: an unfinished completion is not worse, an extra closer is', () => {
    assert.equal(output(keepBracketStructure, at('function f() {\n    ║\n}', 'if (a) {\n        b(')), 'if (a) {\n        b(');
    assert.equal(output(keepBracketStructure, at('function f() {\n    ║\n}', 'b());')), undefined);
    assert.equal(output(keepBracketStructure, at('case $1 in\n  ║\nesac', 'stop)', 'shellscript')), 'stop)');
  });

  it('bracket debt: skips strings and comments, carries them across parts', () => {
    assert.equal(bracketDebt(['f(")"', ')'], C_LIKE), 0);
    assert.equal(bracketDebt(['f( // )', '\n)'], C_LIKE), 0);
    assert.equal(bracketDebt(['f( /* ', ' ) */ )'], C_LIKE), 0);
    assert.equal(bracketDebt(['f(', 'a]', ')'], C_LIKE), 1);
    assert.equal(bracketDebt(['{', 'if (a) {', ''], C_LIKE, 1), 1);
    assert.equal(bracketDebt(['items.map((x) => (', "<p>It's", '))'], C_LIKE, 1), 0);
    assert.equal(bracketDebt(['items.map((x) => (', "<p>It's", '))'], C_LIKE), 2);
  });

  it('runs only the selected guards and logs each cut with its name', () => {
    const logger = new MemoryLogger('debug');
    const input = at('const n = ║', '= 1 1 1 1 1;');
    assert.equal(runGuards(input, 'all', logger), '1 1 1');
    assert.deepEqual(logger.records.map((r) => [r.msg, r.guard]), [['guard cut', 'repetition'], ['guard cut', 'operator']]);
    assert.equal(runGuards(input, ['operator'], logger), '1 1 1 1 1;');
    assert.equal(runGuards(input, [], logger), input.text);
  });
});
