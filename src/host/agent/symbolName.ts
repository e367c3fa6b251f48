/** The symbol find_definition / find_references look for, and where its name occurs in a text. */
import { ToolInputError } from '../../agent/types';

/** The name to look for: `Cart.total` and `Cart::total` name `total`, which is what occurs in the code. */
export function symbolName(symbol: string): string {
  const name = symbol.trim().replace(/\(\)$/, '').split(/\.|::|#/).filter((part) => part.length > 0).pop() ?? '';
  if (!/^[\p{L}\p{N}_$]+$/u.test(name)) {
    throw new ToolInputError('`symbol` must be a name such as `parseConfig` (letters, digits, `_`, `$`).');
  }
  return name;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Offsets of the first `max` whole-word occurrences of `name` in `text`, from `from` on. */
export function wordOffsets(text: string, name: string, from: number, max: number): number[] {
  const re = new RegExp(`(?<![\\p{L}\\p{N}_$])${escapeRegex(name)}(?![\\p{L}\\p{N}_$])`, 'gu');
  re.lastIndex = from;
  const found: number[] = [];
  for (let m = re.exec(text); m && found.length < max; m = re.exec(text)) {
    found.push(m.index);
  }
  return found;
}
