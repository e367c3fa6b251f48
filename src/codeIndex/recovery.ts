/**
 * Recovery from the places a grammar cannot parse. tree-sitter recovers from a syntax error, but
 * sometimes only by swallowing the declarations after it: tree-sitter-typescript reads
 * consecutive generic call signatures without semicolons (`<A>(a: A): A` then `<B>(b: B): B`, a
 * common style for overloads) as comparisons, and the rest of such a file turns into fragments.
 * So a file whose tree has errors is cut again at its top-level declarations (lines at column 0
 * that start one, with the comments right above them), each part parsed on its own; a part that
 * still fails gives what its tree has, and its declaration's name from its head line.
 */
import type { FileOutline, SourceFile, SymbolDefinition, SymbolKind } from './types';

/** What the grammar made of a file, and whether its tree had errors. */
export type ParsedOutline = FileOutline & { syntaxErrors?: boolean };

interface Family {
  /** A line that starts a top-level declaration. */
  start: RegExp;
  /** The kind and name a declaration's head line gives. */
  head: RegExp;
  kinds: Readonly<Record<string, SymbolKind>>;
  /** A line that belongs to the comment block above a declaration. */
  comment: RegExp;
}

const SCRIPT: Family = {
  start: /^(?:export\s|declare\s|function[\s*]|async\s+function|class\s|abstract\s+class|interface\s|type\s|enum\s|const\s|let\s|var\s|namespace\s|@)/,
  head: /^(?:export\s+)?(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(const|let|var|function\*?|class|interface|type|enum|namespace)\s+([A-Za-z_$][\w$]*)/,
  kinds: { const: 'variable', let: 'variable', var: 'variable', function: 'function', 'function*': 'function', class: 'class', interface: 'interface', type: 'type', enum: 'enum', namespace: 'module' },
  comment: /^\s*(?:\/\/|\/\*|\*)/,
};

const FAMILIES: Readonly<Record<string, Family>> = {
  typescript: SCRIPT,
  typescriptreact: SCRIPT,
  javascript: SCRIPT,
  javascriptreact: SCRIPT,
  python: {
    start: /^(?:def\s|async\s+def\s|class\s|@)/,
    head: /^(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)/,
    kinds: { def: 'function', class: 'class' },
    comment: /^\s*#/,
  },
  go: {
    start: /^(?:func\s|type\s|var\s|const\s)/,
    head: /^(func|type)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)/,
    kinds: { func: 'function', type: 'type' },
    comment: /^\s*\/\//,
  },
  rust: {
    start: /^(?:pub(?:\([^)]*\))?\s|fn\s|struct\s|enum\s|trait\s|impl[\s<]|mod\s|macro_rules!|type\s|const\s|static\s|#\[)/,
    head: /^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?(fn|struct|enum|trait|type|mod)\s+([A-Za-z_]\w*)/,
    kinds: { fn: 'function', struct: 'struct', enum: 'enum', trait: 'trait', type: 'type', mod: 'module' },
    comment: /^\s*(?:\/\/|#\[)/,
  },
};

/** Lines of a declaration's head (comments left out) a prompt shows when its part did not parse. */
const HEAD_LINES = 20;

export function outlineWithRecovery(file: SourceFile, parse: (file: SourceFile) => ParsedOutline): FileOutline {
  const first = parse(file);
  const family = FAMILIES[file.languageId];
  if (first.syntaxErrors !== true || first.cutBy !== 'syntax' || family === undefined) return withoutFlag(first);
  const lines = file.text.split('\n');
  const starts = partStarts(lines, family);
  if (starts.length < 2) return withoutFlag(first);
  const outline: FileOutline = { chunks: [], definitions: [], cutBy: 'syntax' };
  starts.forEach((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]! : lines.length;
    const part = parse({ ...file, text: lines.slice(start, end).join('\n') });
    outline.chunks.push(...part.chunks.map((c) => ({ ...c, startLine: c.startLine + start, endLine: c.endLine + start })));
    const definitions = part.definitions.map((d) => ({ ...d, startLine: d.startLine + start, endLine: d.endLine + start }));
    if (part.syntaxErrors === true && !definitions.some((d) => d.container === undefined)) {
      const head = headDefinition(lines, start, end, family, file.path);
      if (head) definitions.unshift(head);
    }
    outline.definitions.push(...definitions);
  });
  return outline;
}

function withoutFlag(outline: ParsedOutline): FileOutline {
  const { syntaxErrors: _, ...rest } = outline;
  return rest;
}

/** The first line of each top-level part: a declaration start, moved up over the comments right above it. */
function partStarts(lines: readonly string[], family: Family): number[] {
  const starts = [0];
  for (let n = 1; n < lines.length; n++) {
    if (!family.start.test(lines[n]!)) continue;
    let start = n;
    while (start - 1 > starts[starts.length - 1]! && family.comment.test(lines[start - 1]!)) start--;
    if (start > starts[starts.length - 1]!) starts.push(start);
  }
  return starts;
}

function headDefinition(lines: readonly string[], start: number, end: number, family: Family, path: string): SymbolDefinition | undefined {
  for (let n = start; n < end; n++) {
    const m = family.head.exec(lines[n]!);
    if (!m) continue;
    const kind = family.kinds[m[1]!];
    if (kind === undefined) return undefined;
    const code = lines.slice(n, end).filter((line) => !family.comment.test(line) && line.trim() !== '');
    const text = code.slice(0, HEAD_LINES).join('\n') + (code.length > HEAD_LINES ? '\n  ...' : '');
    return { name: m[2]!, kind, path, startLine: n, endLine: end - 1, text };
  }
  return undefined;
}
