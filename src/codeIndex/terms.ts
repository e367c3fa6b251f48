/**
 * The terms lexical search matches on code: each identifier whole (lower-cased) and its words
 * (`priceOfItem` -> `priceofitem`, `price`, `of`, `item`; `MAX_LINE_LEN` -> `max_line_len`,
 * `max`, `line`, `len`), so that a question in prose ("where is the price of an item computed")
 * and code (`priceOfItem(`) both reach the chunk that defines it. Keywords that every file of a
 * language repeats say nothing about a chunk and are left out.
 */

const WORD = /[\p{L}_$][\p{L}\p{N}_$]*|\p{N}+/gu;
/** Splits camelCase and PascalCase runs, keeping acronyms together (`HTTPServer` -> HTTP, Server). */
const CAMEL_PART = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lu}+|\p{N}+/gu;

const STOP_TERMS = new Set(
  [
    // Keywords and words of the indexed languages that nearly every chunk has.
    'const', 'let', 'var', 'function', 'return', 'import', 'export', 'from', 'default', 'class', 'new', 'this', 'self',
    'if', 'else', 'for', 'while', 'do', 'switch', 'case', 'break', 'continue', 'try', 'catch', 'finally', 'throw',
    'async', 'await', 'yield', 'typeof', 'instanceof', 'in', 'of', 'as', 'is', 'void', 'null', 'undefined', 'true', 'false',
    'public', 'private', 'protected', 'static', 'readonly', 'extends', 'implements', 'interface', 'type', 'enum',
    'def', 'pass', 'lambda', 'none', 'and', 'or', 'not', 'with', 'elif', 'func', 'package', 'struct', 'fn', 'impl',
    'pub', 'mut', 'use', 'mod', 'int', 'string', 'number', 'boolean', 'any', 'unknown', 'never', 'object',
    // Prose that questions are made of.
    'the', 'a', 'an', 'to', 'it', 'what', 'where', 'how', 'does', 'which', 'why', 'when', 'are', 'be', 'can', 'me', 'my', 'i', 'you',
  ],
);

/** Most characters of one identifier that become terms: longer ones are data, not names. */
const MAX_IDENTIFIER = 64;

export function codeTerms(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    if (word.length > MAX_IDENTIFIER) continue;
    pushTerm(terms, word.toLowerCase());
    const parts = wordParts(word);
    if (parts.length > 1) {
      for (const part of parts) pushTerm(terms, part);
    }
  }
  return terms;
}

function pushTerm(terms: string[], term: string): void {
  if (term.length > 1 && !STOP_TERMS.has(term)) terms.push(term);
}

/** The lower-cased words of an identifier, split at underscores, dollars and case changes. */
export function wordParts(identifier: string): string[] {
  const parts: string[] = [];
  for (const piece of identifier.split(/[_$]+/)) {
    for (const m of piece.matchAll(CAMEL_PART)) parts.push(m[0].toLowerCase());
  }
  return parts;
}
