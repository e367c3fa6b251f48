import { type Logger } from '../../common/logger';
import { balanceAgainstSuffix } from '../bracketBalance';
import { keepBracketStructure } from './bracketStructure';
import { type Guard, type GuardInput, type GuardName, type GuardSelection, isGuardOn } from './guard';
import { rebaseIndentation } from './indentation';
import { keepMidLineToOneLine } from './midLine';
import { trimTypedOperator } from './operator';
import { cutRepetition } from './repetition';
import { trimSuffixDuplicate } from './suffixDuplicate';

export { GUARD_NAMES, isGuardOn, type Guard, type GuardInput, type GuardName, type GuardResult, type GuardSelection } from './guard';

const closers: Guard = ({ text, suffix }) => {
  const balanced = balanceAgainstSuffix(text, suffix);
  return balanced === text ? { text } : { text: balanced, cut: 'closers the suffix already holds' };
};

/**
 * The guards in the order they run. Loops are cut first, so that nothing later measures text
 * that goes anyway; the shape (one line, indentation, operator) is settled before the text is
 * compared with the suffix; the bracket count comes last and judges what would be shown.
 */
export const GUARDS: readonly { name: GuardName; run: Guard }[] = [
  { name: 'repetition', run: cutRepetition },
  { name: 'mid-line', run: keepMidLineToOneLine },
  { name: 'indentation', run: rebaseIndentation },
  { name: 'operator', run: trimTypedOperator },
  { name: 'closers', run: closers },
  { name: 'suffix-duplicate', run: trimSuffixDuplicate },
  { name: 'bracket-structure', run: keepBracketStructure },
];

/** The completion after the selected guards, or undefined when one dropped it; each cut and drop is logged at debug. */
export function runGuards(input: GuardInput, selection: GuardSelection, log: Logger): string | undefined {
  let text = input.text;
  for (const { name, run } of GUARDS) {
    if (!isGuardOn(selection, name)) {
      continue;
    }
    const result = run({ ...input, text });
    if ('drop' in result) {
      log.debug('guard drop', { guard: name, reason: result.drop });
      return undefined;
    }
    if (result.cut !== undefined) {
      log.debug('guard cut', { guard: name, reason: result.cut, removedChars: text.length - result.text.length });
    }
    text = result.text;
  }
  return text;
}
