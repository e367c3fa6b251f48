/**
 * search_text's matcher. A regular expression from a model can backtrack for ever on one line,
 * and JavaScript's own engine cannot be stopped from outside, so the matching runs in a `vm`
 * context whose `timeout` interrupts it: each file gets the time left of the search's budget.
 * Case is smart: insensitive unless the query has an upper-case letter.
 */
import * as vm from 'node:vm';
import { ToolInputError } from '../../agent/types';

export interface LineMatch {
  /** 1-based. */
  readonly line: number;
  /** The line, or a window of it around the match when it is long. */
  readonly text: string;
}

/** The matching ran out of its time: the expression backtracks too much, or the files are too many. */
export class MatchTimeout extends Error {
  constructor() {
    super('text search ran out of time');
    this.name = 'MatchTimeout';
  }
}

/** Runs inside the context: no access to anything of the host's. */
const SCAN_SOURCE = `
function scan(text, maxMatches, maxLineChars) {
  const found = [];
  let line = 1;
  let start = 0;
  while (start <= text.length && found.length < maxMatches) {
    let end = text.indexOf('\\n', start);
    if (end === -1) end = text.length;
    const content = text.slice(start, end > start && text[end - 1] === '\\r' ? end - 1 : end);
    const m = re.exec(content);
    if (m) {
      let shown = content;
      if (shown.length > maxLineChars) {
        const from = Math.max(0, m.index - Math.floor(maxLineChars / 4));
        shown = (from > 0 ? '...' : '') + content.slice(from, from + maxLineChars) + (from + maxLineChars < content.length ? '...' : '');
      }
      found.push({ line, text: shown });
    }
    if (end === text.length) break;
    start = end + 1;
    line++;
  }
  return found;
}`;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class TextMatcher {
  private readonly context: vm.Context;

  constructor(query: string, isRegex: boolean) {
    const source = isRegex ? query : escapeRegex(query);
    const flags = /\p{Lu}/u.test(query) ? '' : 'i';
    try {
      new RegExp(source, flags);
    } catch (err) {
      throw new ToolInputError(`\`query\` is not a valid JavaScript regular expression: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.context = vm.createContext({ source, flags });
    vm.runInContext(`const re = new RegExp(source, flags);${SCAN_SOURCE}`, this.context);
  }

  /** The matching lines of `text`, at most `maxMatches`; throws MatchTimeout after `timeoutMs`. */
  matchLines(text: string, maxMatches: number, maxLineChars: number, timeoutMs: number): LineMatch[] {
    this.context.input = { text, maxMatches, maxLineChars };
    try {
      const found = vm.runInContext('scan(input.text, input.maxMatches, input.maxLineChars)', this.context, { timeout: Math.max(1, Math.floor(timeoutMs)) }) as LineMatch[];
      // Array.from, not map: the context's array would keep that context's prototypes.
      return Array.from(found, (m) => ({ line: m.line, text: m.text }));
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new MatchTimeout();
      }
      throw err;
    } finally {
      this.context.input = undefined;
    }
  }
}
