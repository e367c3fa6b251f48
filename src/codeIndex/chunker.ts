/**
 * Cuts a file into chunks along its syntax tree: each top-level declaration with the comments
 * right above it, runs of small top-level nodes (imports, short statements) merged up to a line
 * cap, and a declaration over the cap cut into its members, recursively. Every non-blank line of
 * the file lands in exactly one chunk: chunks come from a partition of the file's lines, never
 * from the nodes' own extents (which skip punctuation and may share lines).
 */
import type { Node } from 'web-tree-sitter';
import type { CodeChunk, SourceFile, SymbolDefinition } from './types';

export interface ChunkOptions {
  /** Most lines of a chunk before a declaration is cut into its members (unit: lines). Default: 50. */
  maxLines?: number;
  /** How deep declarations are cut into members before falling back to line windows. Default: 6. */
  maxDepth?: number;
}

export const DEFAULT_CHUNK_LINES = 50;
const DEFAULT_MAX_DEPTH = 6;

/** Comments and attributes belong to the declaration right below them. */
const LEADING_TRIVIA = new Set(['comment', 'line_comment', 'block_comment', 'attribute_item', 'inner_attribute_item']);

/** A run of rows, zero-based and inclusive. */
interface Span {
  start: number;
  end: number;
}

/**
 * Rows of one or more sibling nodes that must stay together, and the non-trivia nodes among them.
 * `start..end` grows to partition the lines; `codeStart..codeEnd` stays what the nodes cover.
 */
interface Unit extends Span {
  nodes: Node[];
  codeStart: number;
  codeEnd: number;
  /** A container's head lines, which merge with the members after them. */
  head?: boolean;
}

interface Piece extends Span {
  context?: string;
}

interface Cut {
  lines: string[];
  maxLines: number;
  maxDepth: number;
  /** Rows where a definition starts: a unit holding one is a declaration. */
  definitionRows: Set<number>;
}

/** The file's lines as tree-sitter counts rows: split at '\n' only. */
export function splitLines(text: string): string[] {
  return text.split('\n');
}

/** Rows a node covers; a node that ends at column 0 (a line comment with its newline) ends on the row before. */
export function nodeRows(node: Node): Span {
  const start = node.startPosition.row;
  let end = node.endPosition.row;
  if (node.endPosition.column === 0 && end > start) {
    end--;
  }
  return { start, end };
}

/** Chunks of a parsed file; `definitions` are the file's, for each chunk's symbols. */
export function chunkTree(root: Node, file: SourceFile, definitions: readonly SymbolDefinition[], options: ChunkOptions = {}): CodeChunk[] {
  const lines = splitLines(file.text);
  const cut: Cut = {
    lines,
    maxLines: Math.max(1, options.maxLines ?? DEFAULT_CHUNK_LINES),
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    definitionRows: new Set(definitions.map((d) => d.startLine)),
  };
  const whole = { start: 0, end: lines.length - 1 };
  const units = partition(unitsOf(root.children, whole), whole);
  const pieces = pack(units, cut, 0, undefined, -1);
  return toChunks(pieces, file, lines, definitions);
}

/** Line windows of `windowLines` rows over the whole file, or over `range` of it. */
export function lineChunks(file: SourceFile, windowLines: number, range?: Span): CodeChunk[] {
  const lines = splitLines(file.text);
  const span = range ?? { start: 0, end: lines.length - 1 };
  return toChunks(windows(span, windowLines), file, lines, []);
}

function windows(span: Span, size: number, context?: string): Piece[] {
  const step = Math.max(1, size);
  const out: Piece[] = [];
  for (let start = span.start; start <= span.end; start += step) {
    out.push({ start, end: Math.min(span.end, start + step - 1), context });
  }
  return out;
}

/** Groups sibling nodes into units: leading comments join the node below, nodes sharing a row join. */
function unitsOf(children: readonly Node[], within: Span): Unit[] {
  const units: Unit[] = [];
  let trivia: Span | undefined;
  const push = (unit: Unit): void => {
    const last = units.at(-1);
    if (last !== undefined && unit.start <= last.end) {
      last.end = Math.max(last.end, unit.end);
      last.codeEnd = Math.max(last.codeEnd, unit.codeEnd);
      last.nodes.push(...unit.nodes);
    } else {
      units.push(unit);
    }
  };
  for (const child of children) {
    if (!child.isNamed) {
      continue;
    }
    const rows = clamp(nodeRows(child), within);
    if (LEADING_TRIVIA.has(child.type)) {
      const last = units.at(-1);
      if (trivia === undefined && last !== undefined && rows.start <= last.end) {
        last.end = Math.max(last.end, rows.end);
        last.codeEnd = Math.max(last.codeEnd, rows.end);
      } else if (trivia !== undefined && rows.start <= trivia.end + 1) {
        trivia.end = Math.max(trivia.end, rows.end);
      } else {
        if (trivia !== undefined) {
          push(triviaUnit(trivia));
        }
        trivia = { ...rows };
      }
      continue;
    }
    const unit: Unit = { ...rows, nodes: [child], codeStart: rows.start, codeEnd: rows.end };
    if (trivia !== undefined) {
      if (trivia.end + 1 >= rows.start) {
        unit.start = Math.min(unit.start, trivia.start);
      } else {
        push(triviaUnit(trivia));
      }
      trivia = undefined;
    }
    push(unit);
  }
  if (trivia !== undefined) {
    push(triviaUnit(trivia));
  }
  return units;
}

/** Comments with no declaration right below them: text that merges with its neighbours. */
function triviaUnit(rows: Span): Unit {
  return { ...rows, nodes: [], codeStart: rows.end + 1, codeEnd: rows.end };
}

function clamp(rows: Span, within: Span): Span {
  const start = Math.min(Math.max(rows.start, within.start), within.end);
  return { start, end: Math.max(start, Math.min(rows.end, within.end)) };
}

/**
 * Stretches units to cover `span` without gaps: rows before the first go to it, rows between two
 * (blank lines, a lone `,` or `}`) to the one above, rows after the last to the last.
 */
function partition(units: Unit[], span: Span): Unit[] {
  if (units.length === 0) {
    return span.end >= span.start ? [{ ...span, nodes: [], codeStart: span.start, codeEnd: span.end }] : [];
  }
  units[0]!.start = span.start;
  for (let i = 0; i < units.length - 1; i++) {
    units[i]!.end = units[i + 1]!.start - 1;
  }
  units[units.length - 1]!.end = span.end;
  return units;
}

/**
 * Chunks of consecutive units: a declaration alone, small units merged up to the cap, a unit over
 * the cap cut into its members. `headRow` is the container's head, which chunks after it name.
 */
function pack(units: readonly Unit[], cut: Cut, depth: number, context: string | undefined, headRow: number): Piece[] {
  const pieces: Piece[] = [];
  let group: Piece | undefined;
  const flush = (): void => {
    if (group !== undefined) {
      pieces.push(group);
      group = undefined;
    }
  };
  const label = (span: Span): Piece => (span.start > headRow && context !== undefined ? { ...span, context } : { ...span });
  for (const unit of units) {
    if (unit.codeEnd - unit.start + 1 > cut.maxLines) {
      flush();
      pieces.push(...split(unit, cut, depth, label(unit).context));
    } else if (unit.codeEnd > unit.codeStart && unit.head !== true && isDeclaration(unit, cut)) {
      flush();
      pieces.push(label(unit));
    } else if (group !== undefined && unit.codeEnd - group.start + 1 <= cut.maxLines) {
      group.end = unit.end;
    } else {
      flush();
      group = label(unit);
    }
  }
  flush();
  return pieces;
}

function isDeclaration(unit: Unit, cut: Cut): boolean {
  for (let row = unit.start; row <= unit.end; row++) {
    if (cut.definitionRows.has(row)) {
      return true;
    }
  }
  return false;
}

/** Cuts a unit over the cap into its members, with its head line as their context; line windows when it has none. */
function split(unit: Unit, cut: Cut, depth: number, outerContext: string | undefined): Piece[] {
  const node = unit.nodes.length === 1 ? unit.nodes[0] : undefined;
  const body = node !== undefined && depth < cut.maxDepth ? bodyOf(node) : undefined;
  if (body === undefined) {
    return windows(unit, cut.maxLines, outerContext);
  }
  const members = unitsOf(body.children, unit);
  const first = members[0];
  if (first === undefined) {
    return windows(unit, cut.maxLines, outerContext);
  }
  const headRow = headRowOf(body);
  const head: Unit = { start: unit.start, end: first.start - 1, nodes: [], codeStart: unit.start, codeEnd: first.start - 1, head: true };
  const units: Unit[] = first.start > unit.start ? [head, ...members] : members;
  const context = cut.lines[headRow]?.trim() || outerContext;
  return pack(partition(units, unit), cut, depth + 1, context, headRow);
}

/** The row that names a container: its name's row where it has one (after decorators and annotations). */
function headRowOf(body: Node): number {
  const owner = body.parent ?? body;
  const name = owner.childForFieldName('name');
  return (name ?? owner).startPosition.row;
}

/** Most named children a wrapper may have before it is taken for a list of members itself. */
const WRAPPER_CHILDREN = 2;
const MAX_WRAPPERS = 8;

/**
 * The node whose children are a declaration's members: its `body` (class body, impl block,
 * function block), found through wrappers such as `export`, decorators, templates and
 * declarators (`const x = {...}`); a node with several children is a list of members itself.
 */
function bodyOf(node: Node): Node | undefined {
  let current = node;
  for (let i = 0; i < MAX_WRAPPERS; i++) {
    const body = current.childForFieldName('body');
    if (body !== null && body.namedChildCount > 0) {
      return body;
    }
    const named = current.namedChildren.filter((c) => !LEADING_TRIVIA.has(c.type));
    if (named.length > WRAPPER_CHILDREN) {
      return current;
    }
    const inner = widest(named);
    if (inner === undefined) {
      return named.length > 1 ? current : undefined;
    }
    current = inner;
  }
  return undefined;
}

/** The child spanning the most rows, if it spans more than one. */
function widest(nodes: readonly Node[]): Node | undefined {
  let best: Node | undefined;
  let bestRows = 1;
  for (const n of nodes) {
    const rows = n.endPosition.row - n.startPosition.row + 1;
    if (rows > bestRows) {
      best = n;
      bestRows = rows;
    }
  }
  return best;
}

/** Pieces as chunks: blank rows at their edges dropped, all-blank pieces left out, symbols by row. */
function toChunks(pieces: readonly Piece[], file: SourceFile, lines: readonly string[], definitions: readonly SymbolDefinition[]): CodeChunk[] {
  const namesAt = new Map<number, string[]>();
  for (const d of definitions) {
    const names = namesAt.get(d.startLine);
    if (names === undefined) {
      namesAt.set(d.startLine, [d.name]);
    } else {
      names.push(d.name);
    }
  }
  const chunks: CodeChunk[] = [];
  for (const piece of pieces) {
    let { start, end } = piece;
    while (start <= end && isBlank(lines[start])) {
      start++;
    }
    while (end >= start && isBlank(lines[end])) {
      end--;
    }
    if (start > end) {
      continue;
    }
    const symbols = new Set<string>();
    for (let row = start; row <= end; row++) {
      namesAt.get(row)?.forEach((name) => symbols.add(name));
    }
    const chunk: CodeChunk = { path: file.path, startLine: start, endLine: end, text: lines.slice(start, end + 1).join('\n'), symbols: [...symbols] };
    if (piece.context !== undefined) {
      chunk.context = piece.context;
    }
    chunks.push(chunk);
  }
  return chunks;
}

function isBlank(line: string | undefined): boolean {
  return line === undefined || line.trim() === '';
}
