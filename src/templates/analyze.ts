import { MAX_ANALYSIS_NODES, MAX_NESTING, nestingProblem } from './complexity';
import { FORBIDDEN_SEGMENTS, suggest } from './frontMatter';
import { HELPER_NAMES, HELPER_SPECS } from './helpers';
import type { TemplateDiagnostic } from './types';

/**
 * Static checks on the Handlebars AST: what the runtime would only notice late (an unknown
 * helper, an undeclared variable rendering as nothing) or must never do (reach a prototype,
 * include a file outside the pack).
 */

export const PARTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const DATA_VARIABLES = new Set(['root', 'index', 'first', 'last', 'key']);
const CONTEXT_CHANGING = new Set(['each', 'with']);

export interface PartialSource {
  readonly name: string;
  readonly file: string;
  /** Undefined when the partial does not parse; its own diagnostic says why. */
  readonly program: hbs.AST.Program | undefined;
  readonly lineOffset: number;
}

/** Names known at the top of a context: declared variables, or null where the context is data we cannot see. */
type Frame = ReadonlySet<string> | null;

interface Scope {
  readonly frames: readonly Frame[];
  readonly blockParams: readonly string[];
}

export interface AnalyzeInput {
  readonly file: string;
  readonly program: hbs.AST.Program;
  /** File line of the source's first line, minus one. */
  readonly lineOffset: number;
  /** Declared variables; null for a partial checked on its own (its variables depend on the includer). */
  readonly declared: ReadonlySet<string> | null;
  readonly partials: ReadonlyMap<string, PartialSource>;
  readonly maxPartialDepth: number;
  /** Set when `program` is a partial: its name starts the inclusion chain. */
  readonly partialName?: string;
  /** How messages name the template being checked. */
  readonly templateLabel?: string;
}

export interface AnalyzeResult {
  readonly diagnostics: TemplateDiagnostic[];
  /** Declared variables the template (with its partials) refers to. */
  readonly used: Set<string>;
  /** Nodes the template expands to, every inclusion counted, and those actually walked (fewer when partials are reused). */
  readonly work: { readonly expanded: number; readonly walked: number };
}

export function analyzeTemplate(input: AnalyzeInput): AnalyzeResult {
  const shared: Shared = { diagnostics: [], errors: 0, seen: new Set(), used: new Set(), input, expanded: 0, walked: 0, exhausted: false, expansions: new Map(), collectors: [] };
  const walker = new Walker(shared, input.file, input.lineOffset, input.partialName ? [input.partialName] : []);
  try {
    walker.program(input.program, { frames: [input.declared], blockParams: [] });
  } catch (err) {
    // The nesting limits keep the walk shallow; should the stack still run out, only this template fails.
    if (!(err instanceof RangeError)) {
      throw err;
    }
    shared.diagnostics.push({ file: input.file, line: input.lineOffset + 1, severity: 'error', code: 'too-complex', message: `template is too complex to check: ${err.message}` });
  }
  return { diagnostics: shared.diagnostics, used: shared.used, work: { expanded: shared.expanded, walked: shared.walked } };
}

/** What an inclusion of a partial without errors found, kept so that the next identical inclusion is not walked again. */
interface Expansion {
  /** Levels of partials it opens, itself included. */
  readonly height: number;
  /** Nodes it expands to. */
  readonly size: number;
  readonly used: ReadonlySet<string>;
}

interface Shared {
  readonly diagnostics: TemplateDiagnostic[];
  /** Errors found, repeated ones included, so that an inclusion knows whether its partial failed. */
  errors: number;
  readonly seen: Set<string>;
  readonly used: Set<string>;
  readonly input: AnalyzeInput;
  /** Nodes counted against MAX_ANALYSIS_NODES, reused expansions included. */
  expanded: number;
  walked: number;
  /** Set once the count passes the limit; then nothing more is walked. */
  exhausted: boolean;
  /** By partial name and the variables its context holds. */
  readonly expansions: Map<string, Expansion>;
  /** The variables used inside each inclusion being walked, innermost last. */
  readonly collectors: Set<string>[];
}

/** The context a partial sees decides what it reports, so it is part of the key under which its expansion is kept. */
function expansionKey(name: string, frame: Frame): string {
  return `${name}\u0000${frame === null ? '*' : [...frame].sort().join(',')}`;
}

class Walker {
  /** Blocks and sub-expressions open around the node being walked. */
  private nesting = 0;
  /** Levels of partials the walk has opened below this walker. */
  height = 0;

  constructor(
    private readonly shared: Shared,
    private readonly file: string,
    private readonly lineOffset: number,
    /** Partials being expanded, outermost first; the walker is inside the last one. */
    private readonly partialStack: readonly string[],
  ) {}

  private get inPartial(): boolean {
    return this.partialStack.length > 0;
  }

  private error(node: hbs.AST.Node | undefined, code: string, message: string): void {
    const line = this.lineOffset + (node?.loc?.start.line ?? 1);
    this.shared.errors++;
    const key = `${this.file}:${line}:${message}`;
    if (!this.shared.seen.has(key)) {
      this.shared.seen.add(key);
      this.shared.diagnostics.push({ file: this.file, line, severity: 'error', code, message });
    }
  }

  program(program: hbs.AST.Program, scope: Scope): void {
    for (const statement of program.body) {
      this.statement(statement, scope);
    }
  }

  /** Counts `nodes` against the limit; false (reported once, on the template) when the limit is passed. */
  private charge(nodes: number): boolean {
    const shared = this.shared;
    if (shared.exhausted) {
      return false;
    }
    shared.expanded += nodes;
    if (shared.expanded <= MAX_ANALYSIS_NODES) {
      return true;
    }
    shared.exhausted = true;
    shared.errors++;
    const label = shared.input.templateLabel ?? (shared.input.partialName !== undefined ? `partial '${shared.input.partialName}'` : 'the template');
    shared.diagnostics.push({
      file: shared.input.file,
      line: shared.input.lineOffset + 1,
      severity: 'error',
      code: 'too-complex',
      message: `${label} is too complex to check: with its partials it expands to more than ${MAX_ANALYSIS_NODES} Handlebars nodes; include fewer partials or split it`,
    });
    return false;
  }

  /** Walks one nested block or sub-expression, refusing to go deeper than MAX_NESTING. */
  private nested(node: hbs.AST.Node, walk: () => void): void {
    if (this.nesting >= MAX_NESTING) {
      this.error(node, 'too-deep', `blocks and sub-expressions are nested more than ${MAX_NESTING} deep here; flatten the template`);
      return;
    }
    this.nesting++;
    try {
      walk();
    } finally {
      this.nesting--;
    }
  }

  private statement(node: hbs.AST.Statement, scope: Scope): void {
    this.shared.walked++;
    if (!this.charge(1)) {
      return;
    }
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'Decorator':
      case 'DecoratorBlock':
        this.error(node, 'decorator', 'decorators ({{* ...}}) are not allowed in prompt templates');
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (m.path.type !== 'PathExpression') {
          this.error(node, 'bad-expression', `a literal (${literalText(m.path)}) cannot be looked up; write the text outside {{ }}`);
          return;
        }
        this.call(m.path as hbs.AST.PathExpression, m.params, m.hash, scope, false);
        return;
      }
      case 'BlockStatement':
        this.nested(node, () => this.block(node as hbs.AST.BlockStatement, scope));
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        this.partial(node as hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement, scope);
        return;
      default:
        this.error(node, 'bad-expression', `unsupported Handlebars construct ${node.type}`);
    }
  }

  private block(b: hbs.AST.BlockStatement, scope: Scope): void {
    const helper = this.call(b.path, b.params, b.hash, scope, true);
    const changes = helper !== undefined && CONTEXT_CHANGING.has(helper);
    const inner: Scope = {
      frames: changes ? [...scope.frames, null] : scope.frames,
      blockParams: [...scope.blockParams, ...(b.program?.blockParams ?? [])],
    };
    if (b.program) {
      this.program(b.program, inner);
    }
    if (b.inverse) {
      this.program(b.inverse, scope);
    }
  }

  /** Checks a mustache, block or sub-expression head; returns the helper name when it is a helper call. */
  private call(path: hbs.AST.PathExpression, params: hbs.AST.Expression[], hash: hbs.AST.Hash | undefined, scope: Scope, block: boolean): string | undefined {
    const pairs = hash?.pairs ?? [];
    const simple = !path.data && path.depth === 0 && path.parts.length === 1 && path.original === path.parts[0] ? path.parts[0] : undefined;
    const isCall = block || params.length > 0 || pairs.length > 0;
    let helper: string | undefined;
    if (simple !== undefined && HELPER_NAMES.has(simple)) {
      helper = simple;
      const spec = HELPER_SPECS[simple]!;
      if (block && !spec.block) {
        this.error(path, 'helper-not-block', `helper '${simple}' cannot open a block; use it inside one, e.g. {{#if (${simple} ...)}}`);
      } else if (!block && spec.block) {
        this.error(path, 'helper-needs-block', `helper '${simple}' opens a block: ${spec.usage}`);
      }
      if (params.length < spec.minArgs || params.length > spec.maxArgs) {
        const expected = spec.minArgs === spec.maxArgs ? `${spec.minArgs}` : `${spec.minArgs} to ${spec.maxArgs}`;
        this.error(path, 'helper-arity', `helper '${simple}' takes ${expected} argument${spec.maxArgs === 1 ? '' : 's'}, got ${params.length}: ${spec.usage}`);
      }
      for (const pair of pairs) {
        if (!spec.hashKeys.includes(pair.key)) {
          this.error(pair, 'helper-hash', `helper '${simple}' has no option '${pair.key}'${spec.hashKeys.length ? ` (options: ${spec.hashKeys.join(', ')})` : ''}`);
        }
      }
      if (simple === 'lookup') {
        const key = params[1];
        if (key && (key.type === 'StringLiteral' || key.type === 'NumberLiteral')) {
          const value = String((key as hbs.AST.StringLiteral).value);
          if (FORBIDDEN_SEGMENTS.has(value)) {
            this.error(key, 'prototype-access', `lookup of '${value}' is not allowed: templates cannot reach object prototypes`);
          }
        }
      }
    } else if (isCall) {
      if (simple !== undefined) {
        if (block && params.length === 0 && pairs.length === 0) {
          this.error(path, 'unknown-helper', `'{{#${simple}}}' is not a block helper; use {{#if ${simple}}} or {{#each ${simple}}}`);
        } else {
          this.error(path, 'unknown-helper', `unknown helper '${simple}'${suggest(simple, [...HELPER_NAMES])}; available: ${[...HELPER_NAMES].join(', ')}`);
        }
      } else {
        this.error(path, 'unknown-helper', `'${path.original}' is not a helper, so it takes no arguments`);
      }
      this.path(path, scope, false);
    } else {
      this.path(path, scope, true);
    }
    for (const param of params) {
      this.expression(param, scope);
    }
    for (const pair of pairs) {
      this.expression(pair.value, scope);
    }
    return helper;
  }

  private expression(node: hbs.AST.Expression, scope: Scope): void {
    this.shared.walked++;
    if (!this.charge(1)) {
      return;
    }
    if (node.type === 'SubExpression') {
      this.nested(node, () => this.subExpression(node as hbs.AST.SubExpression, scope));
    } else if (node.type === 'PathExpression') {
      this.path(node as hbs.AST.PathExpression, scope, true);
    }
  }

  private subExpression(sub: hbs.AST.SubExpression, scope: Scope): void {
    if (sub.path.type !== 'PathExpression') {
      this.error(sub, 'bad-expression', 'a sub-expression must start with a helper name');
      return;
    }
    const isHelper = !sub.path.data && sub.path.depth === 0 && sub.path.parts.length === 1 && HELPER_NAMES.has(sub.path.parts[0]!);
    if (!isHelper && sub.params.length === 0 && (sub.hash?.pairs.length ?? 0) === 0) {
      this.error(sub, 'unknown-helper', `'(${sub.path.original})' does not call a known helper`);
      return;
    }
    this.call(sub.path, sub.params, sub.hash, scope, false);
  }

  private path(path: hbs.AST.PathExpression, scope: Scope, checkVariable: boolean): void {
    const forbidden = path.parts.find((part) => FORBIDDEN_SEGMENTS.has(part));
    if (forbidden !== undefined) {
      this.error(path, 'prototype-access', `'${path.original}' reaches '${forbidden}': templates cannot access object prototypes`);
      return;
    }
    if (!checkVariable) {
      return;
    }
    const head = path.parts[0];
    if (path.data) {
      if (head === 'root') {
        const name = path.parts[1];
        const root = scope.frames[0];
        if (name !== undefined && root) {
          this.variable(path, name, root);
        }
      } else if (head === undefined || !DATA_VARIABLES.has(head)) {
        this.error(path, 'unknown-variable', `unknown data variable '@${head ?? ''}' (known: @${[...DATA_VARIABLES].join(', @')})`);
      }
      return;
    }
    if (path.depth === 0 && head !== undefined && scope.blockParams.includes(head)) {
      return;
    }
    const index = scope.frames.length - 1 - path.depth;
    if (index < 0) {
      this.error(path, 'unknown-variable', `'${path.original}' climbs above the top-level context`);
      return;
    }
    const frame = scope.frames[index];
    if (frame && head !== undefined) {
      this.variable(path, head, frame);
    }
  }

  private variable(node: hbs.AST.Node, name: string, frame: ReadonlySet<string>): void {
    const declared = this.shared.input.declared;
    if (declared?.has(name)) {
      this.shared.used.add(name);
      for (const collector of this.shared.collectors) {
        collector.add(name);
      }
    }
    if (frame.has(name)) {
      return;
    }
    const hint = suggest(name, [...frame]);
    if (this.inPartial) {
      const label = this.shared.input.templateLabel ?? 'the template';
      this.error(node, 'unknown-variable', `unknown variable '${name}' in partial '${this.partialStack.at(-1)}': ${label} does not declare it and the partial call does not pass it${hint}`);
    } else {
      this.error(node, 'unknown-variable', `unknown variable '${name}': declare it under 'variables' in the front matter${hint}`);
    }
  }

  private partial(node: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement, scope: Scope): void {
    const nameNode = node.name as hbs.AST.Expression;
    let name: string | undefined;
    if (nameNode.type === 'SubExpression') {
      this.error(node, 'dynamic-partial', 'dynamic partial names are not allowed: name the partial, e.g. {{> role}}');
      return;
    }
    if (nameNode.type === 'PathExpression') {
      const path = nameNode as hbs.AST.PathExpression;
      if (path.data && path.original === '@partial-block') {
        if (!this.inPartial) {
          this.error(node, 'unknown-partial', '{{> @partial-block}} only works inside a partial called as a block');
        }
        return;
      }
      name = path.original;
      if (path.data || path.depth > 0) {
        name = undefined;
      }
    } else if (nameNode.type === 'StringLiteral' || nameNode.type === 'NumberLiteral') {
      name = String((nameNode as hbs.AST.StringLiteral).value);
    }
    const shown = nameNode.type === 'PathExpression' ? (nameNode as hbs.AST.PathExpression).original : name;
    if (name === undefined || /[\\/]|\.\./.test(name) || !PARTIAL_NAME.test(name)) {
      this.error(
        node,
        'partial-path',
        `partial name '${shown ?? literalText(nameNode)}' is not allowed: partials are named files from this pack's partials/ folder (no paths, no '..')`,
      );
      return;
    }
    const params = node.params ?? [];
    if (params.length > 1) {
      this.error(node, 'bad-partial-call', `a partial takes at most one context argument, got ${params.length}`);
    }
    for (const param of params) {
      this.expression(param, scope);
    }
    const pairs = node.hash?.pairs ?? [];
    for (const pair of pairs) {
      this.expression(pair.value, scope);
    }
    if (node.type === 'PartialBlockStatement' && node.program) {
      this.program(node.program, scope);
    }
    const partial = this.shared.input.partials.get(name);
    if (!partial) {
      const known = [...this.shared.input.partials.keys()];
      this.error(node, 'unknown-partial', `unknown partial '${name}': there is no partials/${name}.hbs in this pack${suggest(name, known)}`);
      return;
    }
    const loop = this.partialStack.indexOf(name);
    if (loop >= 0) {
      this.error(node, 'recursive-partial', `recursive partial: ${[...this.partialStack.slice(loop), name].join(' -> ')}`);
      return;
    }
    if (this.partialStack.length >= this.shared.input.maxPartialDepth) {
      this.error(node, 'partial-depth', `partials nested more than ${this.shared.input.maxPartialDepth} deep: ${[...this.partialStack, name].join(' -> ')}`);
      return;
    }
    if (!partial.program) {
      this.error(node, 'broken-partial', `partial '${name}' has errors (see partials/${name}.hbs)`);
      return;
    }
    if (node.type === 'PartialStatement' && usesPartialBlockOnce(partial.program)) {
      this.error(node, 'partial-needs-block', `partial '${name}' wraps content: call it as a block, {{#> ${name}}}...{{/${name}}}`);
      return;
    }
    const current = scope.frames[scope.frames.length - 1] ?? null;
    const frame: Frame = params.length > 0 || current === null ? null : new Set([...current, ...pairs.map((p) => p.key)]);
    if (!this.reuse(expansionKey(name, frame))) {
      this.expand(node, partial, partial.program, frame);
    }
  }

  /**
   * Counts an inclusion already walked without errors in the same context instead of walking it
   * again; a partial included many times is analysed once. Not when it would now nest too deep.
   */
  private reuse(key: string): boolean {
    const known = this.shared.expansions.get(key);
    if (!known || this.partialStack.length + known.height > this.shared.input.maxPartialDepth) {
      return false;
    }
    for (const name of known.used) {
      this.shared.used.add(name);
      for (const collector of this.shared.collectors) {
        collector.add(name);
      }
    }
    this.height = Math.max(this.height, known.height);
    this.charge(known.size);
    return true;
  }

  private expand(node: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement, partial: PartialSource, program: hbs.AST.Program, frame: Frame): void {
    const shared = this.shared;
    const walker = new Walker(shared, partial.file, partial.lineOffset, [...this.partialStack, partial.name]);
    const before = shared.errors;
    const firstNew = shared.diagnostics.length;
    const sizeBefore = shared.expanded;
    const used = new Set<string>();
    shared.collectors.push(used);
    try {
      walker.program(program, { frames: [frame], blockParams: [] });
    } finally {
      shared.collectors.pop();
    }
    this.height = Math.max(this.height, walker.height + 1);
    if (shared.errors === before) {
      shared.expansions.set(expansionKey(partial.name, frame), { height: walker.height + 1, size: shared.expanded - sizeBefore, used });
      return;
    }
    // Name the root cause, not the chain of inclusions that led to it.
    const cause = shared.diagnostics.slice(firstNew).find((d) => d.code !== 'partial-error');
    const where = cause ? `partials/${cause.file.split(/[\\/]/).pop() ?? ''}:${cause.line}` : '';
    this.error(node, 'partial-error', `partial '${partial.name}' fails when included here${cause ? ` (${where}: ${cause.message})` : ''}`);
  }
}

const partialBlockUse = new WeakMap<hbs.AST.Program, boolean>();

/** usesPartialBlock, looked up once per parsed partial rather than at every inclusion. */
function usesPartialBlockOnce(program: hbs.AST.Program): boolean {
  let uses = partialBlockUse.get(program);
  if (uses === undefined) {
    uses = usesPartialBlock(program);
    partialBlockUse.set(program, uses);
  }
  return uses;
}

/** Whether a partial renders `{{> @partial-block}}` anywhere, so that calling it without a block fails. */
function usesPartialBlock(node: unknown): boolean {
  if (Array.isArray(node)) {
    return node.some(usesPartialBlock);
  }
  if (typeof node !== 'object' || node === null) {
    return false;
  }
  const n = node as { type?: unknown; name?: { original?: unknown } };
  if ((n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') && n.name?.original === '@partial-block') {
    return true;
  }
  return Object.entries(node).some(([key, value]) => key !== 'loc' && typeof value === 'object' && usesPartialBlock(value));
}

function literalText(node: hbs.AST.Node): string {
  const value = (node as { original?: unknown; value?: unknown }).original ?? (node as { value?: unknown }).value;
  return value === undefined ? node.type : JSON.stringify(value);
}

/** Handlebars reports an unclosed block at the end of the file; this finds the line that opened it. */
function findUnclosedBlock(source: string): { name: string; line: number } | undefined {
  const withoutComments = source.replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, (c) => c.replace(/[^\n]/g, ' '));
  const stack: { name: string; line: number }[] = [];
  const re = /\{\{~?\s*([#^/])\s*([>*]?)\s*([^\s}~)]+)/g;
  let line = 1;
  let counted = 0;
  for (const m of withoutComments.matchAll(re)) {
    // Counted from the previous match on, so that a long template is scanned once.
    for (; counted < m.index; counted++) {
      if (withoutComments.charCodeAt(counted) === 10) {
        line++;
      }
    }
    const name = m[3]!;
    if (m[1] === '/') {
      const at = stack.map((s) => s.name).lastIndexOf(name);
      if (at >= 0) {
        stack.splice(at);
      }
    } else {
      stack.push({ name: `${m[1]}${m[2]}${name}`, line });
    }
  }
  const open = stack.at(-1);
  return open ? { name: open.name, line: open.line } : undefined;
}

export type ParseOutcome = { program: hbs.AST.Program; diagnostic?: undefined } | { program?: undefined; diagnostic: TemplateDiagnostic };

/** Parses Handlebars source and turns a syntax error into a diagnostic on the right file line. */
export function parseSource(parse: (source: string) => hbs.AST.Program, source: string, file: string, lineOffset: number): ParseOutcome {
  const deep = nestingProblem(source);
  if (deep) {
    return { diagnostic: { file, line: lineOffset + deep.line, severity: 'error', code: 'too-deep', message: deep.message } };
  }
  try {
    return { program: parse(source) };
  } catch (err) {
    if (err instanceof RangeError) {
      return { diagnostic: { file, line: lineOffset + 1, severity: 'error', code: 'too-complex', message: `template is too complex to parse: ${err.message}` } };
    }
    const text = err instanceof Error ? err.message : String(err);
    const lines = text.split('\n');
    const reported = (err as { lineNumber?: unknown }).lineNumber;
    let line = typeof reported === 'number' ? reported : Number(/on line (\d+)/.exec(text)?.[1] ?? 1);
    let message: string;
    const mismatch = /^(\S+) doesn't match (\S+)/.exec(lines[0] ?? '');
    if (mismatch) {
      const close = source.split('\n').findIndex((text, i) => i + 1 >= line && text.includes(`{{/${mismatch[2]}`));
      message = `block '{{#${mismatch[1]}}}' opened on line ${lineOffset + line} is closed by '{{/${mismatch[2]}}}'`;
      line = close >= 0 ? close + 1 : line;
    } else if (/got 'EOF'/.test(text)) {
      const open = findUnclosedBlock(source);
      if (open) {
        line = open.line;
        message = `unclosed block '{{${open.name}}}': add '{{/${open.name.replace(/^[#^][>*]?/, '')}}}'`;
      } else {
        message = 'unexpected end of template: a {{ }} expression or block is not closed';
      }
    } else if (/^Lexical error/.test(text)) {
      message = /\{\{!--/.test(source) && !/--\}\}/.test(source) ? "unclosed comment: '{{!--' needs '--}}'" : 'Handlebars syntax error: unrecognized text inside {{ }}';
    } else {
      const expecting = /^Expecting (.*), got (.*)$/.exec(lines.at(-1) ?? '');
      message = expecting ? `Handlebars syntax error: unexpected ${expecting[2]}, expecting ${expecting[1]}` : `Handlebars syntax error: ${lines[0] ?? text}`;
    }
    return { diagnostic: { file, line: lineOffset + line, severity: 'error', code: 'syntax', message } };
  }
}
