import type { NumberRange } from './schemaNodes';

/**
 * JSON numbers written one byte at a time: which texts are prefixes of a number the schema
 * accepts. Digits are capped (15 before and after the point, 2 in the exponent) so that a number
 * stays exact in a double and a model cannot write digits forever. A number with a range is
 * written without an exponent, so that every prefix maps to an interval of values to test.
 */

const PREFIX = /^-?(?:(?:0|[1-9]\d{0,14})(?:\.\d{0,15}|(?:\.\d{1,15})?[eE][+-]?\d{0,2})?)?$/;
const PREFIX_NO_EXPONENT = /^-?(?:(?:0|[1-9]\d{0,14})(?:\.\d{0,15})?)?$/;
const INTEGER_PREFIX = /^-?(?:0|[1-9]\d{0,14})?$/;
const COMPLETE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Whether `text` can still grow into a number under the schema. */
export function viableNumberPrefix(text: string, integer: boolean, range: NumberRange | undefined): boolean {
  const grammar = integer ? INTEGER_PREFIX : range === undefined ? PREFIX : PREFIX_NO_EXPONENT;
  if (text === '' || !grammar.test(text)) {
    return false;
  }
  return range === undefined || reachable(text, integer, range);
}

/** Whether `text` is a whole number the schema accepts. */
export function completeNumber(text: string, integer: boolean, range: NumberRange | undefined): boolean {
  if (!COMPLETE.test(text)) {
    return false;
  }
  return range === undefined || inRange(Number(text), range, integer);
}

function inRange(v: number, r: NumberRange, integer: boolean): boolean {
  if (integer && !Number.isInteger(v)) return false;
  const aboveLow = r.lowOpen ? v > r.low : v >= r.low;
  const belowHigh = r.highOpen ? v < r.high : v <= r.high;
  return aboveLow && belowHigh;
}

/**
 * Some completion of the prefix lies in the range. A prefix `12` (no point yet) reaches
 * [12·10^k, 13·10^k) for each count k of digits still to come; `12.3` reaches [12.3, 12.4).
 */
function reachable(text: string, integer: boolean, r: NumberRange): boolean {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  if (body === '') {
    return overlaps(0, Infinity, true, negative, integer, r);
  }
  const [intPart, frac] = body.split('.') as [string, string | undefined];
  const v = Number(intPart);
  if (frac !== undefined) {
    const step = 10 ** -frac.length;
    const lo = Number(`${intPart}.${frac}0`);
    return overlaps(lo, lo + step, false, negative, integer, r);
  }
  if (intPart === '0') {
    return integer ? overlaps(0, 0, true, negative, integer, r) : overlaps(0, 1, false, negative, integer, r);
  }
  for (let k = 0; intPart.length + k <= 15; k++) {
    const scale = 10 ** k;
    const hi = integer ? v * scale + scale - 1 : (v + 1) * scale;
    if (overlaps(v * scale, hi, integer, negative, integer, r)) {
      return true;
    }
  }
  return false;
}

/**
 * Whether magnitudes in [lo, hi] (`hi` excluded unless `closed`), negated when `negative`,
 * meet the range; for integers, whether an integer does.
 */
function overlaps(lo: number, hi: number, closed: boolean, negative: boolean, integer: boolean, r: NumberRange): boolean {
  const a = negative ? -hi : lo;
  const b = negative ? -lo : hi;
  // With `negative`, the excluded end is the lower one.
  const aOpen = negative && !closed;
  const bOpen = !negative && !closed;
  if (integer) {
    const first = Math.max(Math.ceil(a), r.lowOpen && Number.isInteger(r.low) ? r.low + 1 : Math.ceil(r.low));
    const last = Math.min(Math.floor(b), r.highOpen && Number.isInteger(r.high) ? r.high - 1 : Math.floor(r.high));
    return first <= last;
  }
  const low = Math.max(a, r.low);
  const high = Math.min(b, r.high);
  if (low < high) return true;
  if (low > high) return false;
  const lowOpen = (a === low && aOpen) || (r.low === low && r.lowOpen);
  const highOpen = (b === high && bOpen) || (r.high === high && r.highOpen);
  return !lowOpen && !highOpen;
}
