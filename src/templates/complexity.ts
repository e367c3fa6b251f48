/**
 * Bounds on how complex a template may be. Handlebars' parser and compiler recurse and slow down
 * super-linearly on deep nesting (3,000 nested blocks take seconds, then overflow the stack), so
 * nesting is measured on the source text before Handlebars sees it, and the static analysis
 * counts the nodes it visits, partials expanded included.
 */

/** Deepest nesting of blocks (`else` chains included) or of sub-expressions inside one `{{ }}`. */
export const MAX_NESTING = 64;
/** Most Handlebars nodes one template may expand to, every inclusion of a partial counted. */
export const MAX_ANALYSIS_NODES = 200_000;

export interface NestingProblem {
  /** 1-based line in the source. */
  readonly line: number;
  readonly message: string;
}

/** Cursor over the source that keeps the line number as it moves forward. */
class Cursor {
  at = 0;
  line = 1;

  constructor(readonly text: string) {}

  moveTo(index: number): void {
    for (let i = this.at; i < index; i++) {
      if (this.text.charCodeAt(i) === 10) {
        this.line++;
      }
    }
    this.at = index;
  }
}

/** Index just past the `}}` that closes a mustache starting at `from`, skipping string literals; the deepest parenthesis seen. */
function scanMustache(text: string, from: number): { end: number; parens: number } {
  let depth = 0;
  let deepest = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      i = close < 0 ? text.length : close;
    } else if (c === '(') {
      depth++;
      deepest = Math.max(deepest, depth);
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
    } else if (c === '}' && text[i + 1] === '}') {
      return { end: i + 2, parens: deepest };
    }
  }
  return { end: text.length, parens: deepest };
}

function commentEnd(text: string, from: number): number {
  const long = text.startsWith('!--', from);
  const close = text.indexOf(long ? '--}}' : '}}', from);
  return close < 0 ? text.length : close + (long ? 4 : 2);
}

/** How a mustache changes the block nesting: opens one, closes one, chains an `else if`, or neither. */
function blockChange(head: string): 'open' | 'close' | 'chain' | 'none' {
  if (head.startsWith('#') || (head.startsWith('^') && !/^\^\s*~?$/.test(head))) {
    return 'open';
  }
  if (head.startsWith('/')) {
    return 'close';
  }
  return /^else\s+\S/.test(head) ? 'chain' : 'none';
}

/**
 * The first place where blocks or sub-expressions nest deeper than `max`, found on the text in
 * one pass, so that a hostile template never reaches the Handlebars parser. Errs on the side of
 * counting: a stray close only lowers the count to zero.
 */
export function nestingProblem(source: string, max = MAX_NESTING): NestingProblem | undefined {
  const cursor = new Cursor(source);
  /** Per open block: 1 plus its `else if` links, each of which Handlebars nests one level deeper. */
  const blocks: number[] = [];
  let depth = 0;
  for (let open = source.indexOf('{{'); open >= 0; open = source.indexOf('{{', cursor.at)) {
    cursor.moveTo(open);
    const inner = open + (source[open + 2] === '~' ? 3 : 2);
    if (open > 0 && source[open - 1] === '\\') {
      cursor.moveTo(open + 2);
      continue;
    }
    if (source[inner] === '!') {
      cursor.moveTo(commentEnd(source, inner));
      continue;
    }
    const { end, parens } = scanMustache(source, inner);
    const change = blockChange(source.slice(inner, Math.min(end - 2, inner + 16)).trimStart());
    if (change === 'open') {
      blocks.push(1);
      depth++;
    } else if (change === 'close') {
      depth -= blocks.pop() ?? 0;
    } else if (change === 'chain' && blocks.length > 0) {
      blocks[blocks.length - 1]!++;
      depth++;
    }
    if (depth > max) {
      return { line: cursor.line, message: `blocks are nested more than ${max} deep here; flatten the template` };
    }
    if (parens > max) {
      return { line: cursor.line, message: `sub-expressions are nested more than ${max} deep here; flatten the expression` };
    }
    cursor.moveTo(end);
  }
  return undefined;
}
