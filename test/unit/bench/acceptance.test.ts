import * as assert from 'node:assert/strict';
import { AcceptanceTally, acceptedChars, firstLine, firstLineRight } from '../../../bench/completion/acceptance';

describe('bench: what a user would accept of a shown suggestion', () => {
  it('takes the first line with text on it, also after a line break', () => {
    assert.equal(firstLine('foo(1);\nbar();'), 'foo(1);');
    assert.equal(firstLine('\n  return x;\n}'), '\n  return x;');
    assert.equal(firstLine('   \n'), '');
  });

  it('a first line is right only when it has text and the user goes on to type it', () => {
    assert.equal(firstLineRight('length;', 'length;\n}'), true);
    assert.equal(firstLineRight('\n  return x;', '\n  return x;\n}'), true);
    assert.equal(firstLineRight('\n', '\n  return'), false);
    assert.equal(firstLineRight('lengthX;', 'length;'), false);
  });

  it('accepts the whole suggestion, its right first line, or its right start up to a word boundary', () => {
    assert.equal(acceptedChars('a + b;', 'a + b;\n'), 6);
    assert.equal(acceptedChars('a + b;\nwrong();', 'a + b;\nright();'), 6);
    assert.equal(acceptedChars('items.lengthX', 'items.length;'), 6, 'word by word stops before the wrong word');
    assert.equal(acceptedChars('count + 1', 'counter + 1'), 0);
    assert.equal(acceptedChars('x', 'y'), 0);
  });

  it('does not count text twice when suggestions inside an accepted stretch agree', () => {
    const tally = new AcceptanceTally();
    tally.shown(10, 'abc;', 'abc;\n');
    tally.shown(11, 'bc;', 'bc;\n');
    tally.shown(14, 'wrong', 'next');
    assert.deepEqual({ accepted: tally.accepted, right: tally.rightShown, wrong: tally.wrongShown }, { accepted: 4, right: 2, wrong: 1 });
    tally.nextFile();
    tally.shown(0, 'x', 'x');
    assert.equal(tally.accepted, 5);
  });
});
