/**
 * Definitions from other files for the completion prompt: the identifiers used near the cursor
 * (called functions, types, imported names) looked up in the workspace index, the nearest use
 * first, a qualified use (`cart.priceOf(`, `Cart.priceOf(`) or an imported name resolved
 * to the module its import names. A model that sees `function priceOf(item: CartItem): number`
 * completes a call to it; without it, it guesses.
 */
import type { SymbolDefinition } from '../codeIndex/types';
import { lineStartAt } from './text';
import type { Snippet } from './snippets';

export interface DefinitionLookup {
  definitions(name: string): readonly SymbolDefinition[];
}

/** Lines before the cursor whose identifiers are looked up. */
const LINES_BEFORE = 40;
/** A name defined in more files than this says nothing about which one is meant, unless an import says so. */
const MAX_AMBIGUITY = 3;

const IDENTIFIER = /[A-Za-z_$][\w$]*/g;

interface Use {
  name: string;
  /** The name before a dot (`Effect` in `Effect.map`), when there is one. */
  qualifier?: string;
}

/** The identifiers used in the lines before the cursor, nearest first, without the word being typed. */
export function namesNearCursor(text: string, offset: number): Use[] {
  let start = lineStartAt(text, offset);
  for (let i = 0; i < LINES_BEFORE && start > 0; i++) start = lineStartAt(text, start - 1);
  let end = offset;
  while (end > start && /[\w$]/.test(text[end - 1]!)) end--;
  const window = text.slice(start, end);
  const uses: Use[] = [];
  for (const m of window.matchAll(IDENTIFIER)) {
    const before = window.slice(Math.max(0, m.index - 64), m.index);
    const qualifier = /([A-Za-z_$][\w$]*)\s*\.\s*$/.exec(before)?.[1];
    uses.push(qualifier !== undefined ? { name: m[0], qualifier } : { name: m[0] });
  }
  const nearest = new Map<string, Use>();
  for (const use of uses.reverse()) {
    if (use.name.length > 1 && !nearest.has(use.name)) nearest.set(use.name, use);
  }
  return [...nearest.values()];
}

/** Local name -> module specifier, from the file's import statements (JS/TS and Python forms). */
export function importedNames(text: string): Map<string, string> {
  const names = new Map<string, string>();
  const head = text.slice(0, 64_000);
  for (const m of head.matchAll(/import\s+(?:type\s+)?\*\s+as\s+([\w$]+)\s+from\s+['"]([^'"]+)['"]/g)) names.set(m[1]!, m[2]!);
  for (const m of head.matchAll(/import\s+(?:type\s+)?(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\})?\s*from\s+['"]([^'"]+)['"]/g)) {
    if (m[1]) names.set(m[1], m[3]!);
    for (const part of (m[2] ?? '').split(',')) {
      const local = /(?:type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?/.exec(part.trim());
      if (local) names.set(local[2] ?? local[1]!, m[3]!);
    }
  }
  for (const m of head.matchAll(/^from\s+([\w.]+)\s+import\s+([^\n(]+)/gm)) {
    for (const part of m[2]!.split(',')) {
      const local = /([\w]+)(?:\s+as\s+([\w]+))?/.exec(part.trim());
      if (local) names.set(local[2] ?? local[1]!, m[1]!);
    }
  }
  return names;
}

/** The module file name a specifier points at (`./internal/cart.js` -> `cart`, `pkg.sub` -> `sub`). */
function moduleStem(specifier: string): string {
  const last = specifier.split(/[/.]/).filter((p) => p !== '' && !/^(js|ts|mjs|cjs|jsx|tsx|py)$/.test(p)).pop() ?? specifier;
  return last === 'index' ? (specifier.split('/').slice(-2, -1)[0] ?? last) : last;
}

function stemOf(path: string): string {
  const base = path.split('/').pop() ?? path;
  const stem = base.replace(/\.[^.]+$/, '');
  return stem === 'index' || stem === '__init__' ? (path.split('/').slice(-2, -1)[0] ?? stem) : stem;
}

/** Which of several definitions a use means: the one in the module its import (or qualifier's import) names. */
function pick(defs: readonly SymbolDefinition[], use: Use, imports: ReadonlyMap<string, string>): SymbolDefinition | undefined {
  const specifier = imports.get(use.qualifier ?? use.name);
  if (specifier !== undefined) {
    const stem = moduleStem(specifier);
    const fromModule = defs.find((d) => stemOf(d.path) === stem);
    if (fromModule) return fromModule;
  }
  if (use.qualifier !== undefined) {
    const member = defs.find((d) => d.container === use.qualifier || stemOf(d.path) === use.qualifier);
    if (member) return member;
  }
  return defs.length <= MAX_AMBIGUITY ? defs[0] : undefined;
}

/**
 * Snippets of the definitions the code before the cursor uses, nearest use first, at most `max`;
 * definitions in the current file are left out (the prompt has the file already).
 */
export function definitionSnippets(text: string, offset: number, currentPath: string, lookup: DefinitionLookup, max: number): Snippet[] {
  const imports = importedNames(text);
  const found: Snippet[] = [];
  const taken = new Set<SymbolDefinition>();
  for (const use of namesNearCursor(text, offset)) {
    if (found.length >= max) break;
    const defs = lookup.definitions(use.name).filter((d) => d.path !== currentPath);
    if (defs.length === 0) continue;
    const def = pick(defs, use, imports);
    if (def === undefined || taken.has(def)) continue;
    taken.add(def);
    found.push({ path: def.path, text: def.text, score: 1 });
  }
  return found;
}
