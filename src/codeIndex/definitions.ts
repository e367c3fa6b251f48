/**
 * Symbol definitions from a syntax tree, per grammar: functions, methods with their container,
 * classes, interfaces, type aliases, enums, structs, traits, macros and top-level variables.
 * Only declaration levels are walked (top level, class and impl bodies, namespaces and modules),
 * never function bodies, so locals stay out. Definitions come in document order.
 */
import type { Node } from 'web-tree-sitter';
import { nodeRows } from './chunker';
import type { GrammarName } from './languages';
import type { SourceFile, SymbolDefinition, SymbolKind } from './types';

/** Most lines of a definition's text; the rest is elided with one `...` line (unit: lines). */
export const DEFINITION_TEXT_LINES = 20;
/** Most characters of a definition's text, for minified code on one line (unit: characters). */
const DEFINITION_TEXT_CHARS = 2_000;
/** Nesting of classes, namespaces and modules walked into. */
const MAX_NESTING = 8;

type TextShape = 'signature' | 'whole' | 'class';

interface Found {
  name: string;
  kind: SymbolKind;
  /** The node with its wrappers (export, decorators, template), where the text starts. */
  outer: Node;
  /** The declaration itself. */
  node: Node;
  shape: TextShape;
  /** Where a signature ends; absent for declarations without a body. */
  body?: Node | null;
  /** Children of this node are walked as members, named after this definition. */
  members?: Node | null;
  /** The container a declaration names itself (a Go receiver, a C++ `Class::method`). */
  container?: string;
  /** A Rust impl block: not a definition, only the members of the type it names. */
  membersOnly?: boolean;
}

interface Walk {
  file: SourceFile;
  grammar: GrammarName;
  out: SymbolDefinition[];
}

/** Definitions of a parsed file, in document order. */
export function findDefinitions(root: Node, file: SourceFile, grammar: GrammarName): SymbolDefinition[] {
  const walk: Walk = { file, grammar, out: [] };
  walkLevel(walk, root, undefined, false, 0);
  return walk.out;
}

/** `inType` is true inside a class, struct, trait or impl body, where functions are methods. */
function walkLevel(walk: Walk, level: Node, container: string | undefined, inType: boolean, depth: number): void {
  if (depth > MAX_NESTING) {
    return;
  }
  for (const child of level.namedChildren) {
    for (const found of visit(walk.grammar, child, child, inType)) {
      emit(walk, found, container);
      if (found.members) {
        const isType = found.kind !== 'module';
        walkLevel(walk, found.members, found.name, isType, depth + 1);
      }
    }
    if (isTransparent(child)) {
      walkLevel(walk, child, container, inType, depth + 1);
    }
  }
}

/** Nodes whose children sit at the same level: C's `#ifdef` blocks and `extern "C" {}`, a Java enum's methods. */
const TRANSPARENT = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'linkage_specification', 'declaration_list', 'enum_body_declarations']);

function isTransparent(node: Node): boolean {
  return TRANSPARENT.has(node.type);
}

function visit(grammar: GrammarName, node: Node, outer: Node, inType: boolean): Found[] {
  switch (grammar) {
    case 'typescript':
    case 'tsx':
    case 'javascript':
      return visitScript(node, outer, inType);
    case 'python':
      return visitPython(node, outer, inType);
    case 'go':
      return visitGo(node);
    case 'rust':
      return visitRust(node, outer, inType);
    case 'java':
      return visitJava(node, outer);
    case 'cpp':
      return visitCpp(node, outer, inType);
    default: {
      const never: never = grammar;
      throw new Error(`no definition rules for ${String(never)}`);
    }
  }
}

function nameOf(node: Node, field = 'name'): string | undefined {
  const name = node.childForFieldName(field);
  return name === null ? undefined : name.text;
}

function found(node: Node, outer: Node, kind: SymbolKind, shape: TextShape, extra: Partial<Found> = {}, name = nameOf(node)): Found[] {
  return name === undefined || name === '' ? [] : [{ name, kind, outer, node, shape, body: node.childForFieldName('body'), ...extra }];
}

function visitScript(node: Node, outer: Node, inType: boolean): Found[] {
  switch (node.type) {
    case 'export_statement':
    case 'ambient_declaration': {
      const inner = node.childForFieldName('declaration') ?? node.namedChildren.find((c) => c.type !== 'comment' && c.type !== 'decorator');
      return inner ? visitScript(inner, outer, inType) : [];
    }
    case 'function_declaration':
    case 'generator_function_declaration':
    case 'function_signature':
      return found(node, outer, 'function', 'signature');
    case 'class_declaration':
    case 'abstract_class_declaration':
      return found(node, outer, 'class', 'class', { members: node.childForFieldName('body') });
    case 'interface_declaration':
      return found(node, outer, 'interface', 'whole');
    case 'type_alias_declaration':
      return found(node, outer, 'type', 'whole');
    case 'enum_declaration':
      return found(node, outer, 'enum', 'whole');
    case 'internal_module':
    case 'module': {
      const name = nameOf(node)?.replace(/^['"]|['"]$/g, '');
      return found(node, outer, 'module', 'signature', { members: node.childForFieldName('body') }, name);
    }
    case 'lexical_declaration':
    case 'variable_declaration':
      return inType ? [] : node.namedChildren.filter((d) => d.type === 'variable_declarator').flatMap((d) => scriptVariable(d, outer));
    case 'method_definition':
    case 'method_signature':
    case 'abstract_method_signature':
      return inType ? found(node, outer, 'method', 'signature') : [];
    case 'public_field_definition':
    case 'field_definition': {
      const value = node.childForFieldName('value');
      const name = nameOf(node) ?? nameOf(node, 'property');
      return inType && value !== null && isFunctionValue(value) ? found(node, outer, 'method', 'signature', { body: value.childForFieldName('body') }, name) : [];
    }
    default:
      return [];
  }
}

function isFunctionValue(value: Node): boolean {
  return ['arrow_function', 'function_expression', 'function', 'generator_function'].includes(value.type);
}

function scriptVariable(declarator: Node, outer: Node): Found[] {
  const name = declarator.childForFieldName('name');
  if (name === null || name.type !== 'identifier') {
    return [];
  }
  const value = declarator.childForFieldName('value');
  if (value !== null && isFunctionValue(value)) {
    return found(declarator, outer, 'function', 'signature', { body: value.childForFieldName('body') }, name.text);
  }
  return found(declarator, outer, 'variable', 'whole', { body: null }, name.text);
}

function visitPython(node: Node, outer: Node, inType: boolean): Found[] {
  switch (node.type) {
    case 'decorated_definition': {
      const inner = node.childForFieldName('definition');
      return inner ? visitPython(inner, outer, inType) : [];
    }
    case 'function_definition':
      return found(node, outer, inType ? 'method' : 'function', 'signature');
    case 'class_definition':
      return found(node, outer, 'class', 'class', { members: node.childForFieldName('body') });
    case 'expression_statement': {
      const assignment = node.namedChildren[0];
      const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
      return !inType && left?.type === 'identifier' ? found(node, outer, 'variable', 'whole', { body: null }, left.text) : [];
    }
    default:
      return [];
  }
}

function visitGo(node: Node): Found[] {
  switch (node.type) {
    case 'function_declaration':
      return found(node, node, 'function', 'signature');
    case 'method_declaration':
      return found(node, node, 'method', 'signature', { container: receiverType(node) });
    case 'type_declaration': {
      const specs = node.namedChildren.filter((c) => c.type === 'type_spec' || c.type === 'type_alias');
      return specs.flatMap((spec) => found(spec, specs.length === 1 ? node : spec, goTypeKind(spec), 'whole', { body: null }));
    }
    case 'const_declaration':
    case 'var_declaration': {
      const specs = node.namedChildren.filter((c) => c.type === 'const_spec' || c.type === 'var_spec');
      return specs.flatMap((spec) =>
        spec.childrenForFieldName('name').flatMap((name) => found(spec, specs.length === 1 ? node : spec, 'variable', 'whole', { body: null }, name.text)),
      );
    }
    default:
      return [];
  }
}

function goTypeKind(spec: Node): SymbolKind {
  const type = spec.childForFieldName('type')?.type;
  return type === 'struct_type' ? 'struct' : type === 'interface_type' ? 'interface' : 'type';
}

/** The type a Go method is declared on: `Bucket` of `func (b *Bucket) Allow()`. */
function receiverType(method: Node): string | undefined {
  const receiver = method.childForFieldName('receiver');
  return receiver?.descendantsOfType('type_identifier')[0]?.text;
}

function visitRust(node: Node, outer: Node, inType: boolean): Found[] {
  switch (node.type) {
    case 'function_item':
      return found(node, outer, inType ? 'method' : 'function', 'signature');
    case 'function_signature_item':
      return found(node, outer, 'method', 'whole', { body: null });
    case 'struct_item':
    case 'union_item':
      return found(node, outer, 'struct', 'whole', { body: null });
    case 'enum_item':
      return found(node, outer, 'enum', 'whole', { body: null });
    case 'type_item':
      return found(node, outer, 'type', 'whole', { body: null });
    case 'trait_item':
      return found(node, outer, 'trait', 'whole', { body: null, members: node.childForFieldName('body') });
    case 'macro_definition':
      return found(node, outer, 'macro', 'whole', { body: null });
    case 'const_item':
    case 'static_item':
      return inType ? [] : found(node, outer, 'variable', 'whole', { body: null });
    case 'mod_item':
      return found(node, outer, 'module', 'signature', { members: node.childForFieldName('body') });
    case 'impl_item':
      return implMembers(node);
    default:
      return [];
  }
}

/** An impl block defines nothing itself; its functions are methods of the type it is for. */
function implMembers(impl: Node): Found[] {
  const type = impl.childForFieldName('type');
  const body = impl.childForFieldName('body');
  if (type === null || body === null) {
    return [];
  }
  const name = type.type === 'generic_type' ? (nameOf(type, 'type') ?? type.text) : type.text;
  return [{ name, kind: 'struct', outer: impl, node: impl, shape: 'signature', body, members: body, membersOnly: true }];
}

function visitJava(node: Node, outer: Node): Found[] {
  switch (node.type) {
    case 'class_declaration':
    case 'record_declaration':
      return found(node, outer, 'class', 'class', { members: node.childForFieldName('body') });
    case 'interface_declaration':
    case 'annotation_type_declaration':
      return found(node, outer, 'interface', 'whole', { body: null, members: node.childForFieldName('body') });
    case 'enum_declaration':
      return found(node, outer, 'enum', 'whole', { body: null, members: node.childForFieldName('body') });
    case 'method_declaration':
    case 'constructor_declaration':
    case 'compact_constructor_declaration':
      return found(node, outer, 'method', node.childForFieldName('body') === null ? 'whole' : 'signature');
    default:
      return [];
  }
}

function visitCpp(node: Node, outer: Node, inType: boolean): Found[] {
  switch (node.type) {
    case 'template_declaration': {
      const inner = node.namedChildren.find((c) => c.type !== 'template_parameter_list' && c.type !== 'comment');
      return inner ? visitCpp(inner, outer, inType) : [];
    }
    case 'function_definition': {
      const [scope, name] = cppFunctionName(node.childForFieldName('declarator'));
      const extra: Partial<Found> = scope === undefined ? {} : { container: scope };
      return found(node, outer, inType || scope !== undefined ? 'method' : 'function', 'signature', extra, name);
    }
    case 'struct_specifier':
    case 'union_specifier':
    case 'class_specifier': {
      const body = node.childForFieldName('body');
      const kind = node.type === 'class_specifier' ? 'class' : 'struct';
      return body === null ? [] : found(node, outer, kind, 'class', { body, members: body });
    }
    case 'enum_specifier':
      return node.childForFieldName('body') === null ? [] : found(node, outer, 'enum', 'whole', { body: null });
    case 'type_definition':
      return cppTypedef(node, outer);
    case 'alias_declaration':
      return found(node, outer, 'type', 'whole', { body: null });
    case 'namespace_definition':
      return found(node, outer, 'module', 'signature', { members: node.childForFieldName('body') });
    case 'preproc_def':
    case 'preproc_function_def':
      return inType ? [] : found(node, outer, 'macro', 'whole', { body: null });
    default:
      return [];
  }
}

/** The name a C/C++ function declarator declares, and the class it qualifies (`Ring::push`). */
function cppFunctionName(declarator: Node | null): [string | undefined, string | undefined] {
  let current = declarator;
  for (let i = 0; current !== null && i < MAX_NESTING; i++) {
    switch (current.type) {
      case 'identifier':
      case 'field_identifier':
      case 'destructor_name':
      case 'operator_name':
        return [undefined, current.text];
      case 'qualified_identifier': {
        const name = current.childForFieldName('name');
        const scope = current.childForFieldName('scope');
        if (name?.type === 'qualified_identifier') {
          current = name;
          continue;
        }
        return [scope?.text, name?.text];
      }
      default:
        // A reference declarator (`const T& at()`) holds its function declarator in no field.
        current = current.childForFieldName('declarator') ?? current.namedChildren.find((c) => c.type.endsWith('declarator')) ?? null;
    }
  }
  return [undefined, undefined];
}

/** `typedef struct {...} buffer;` is the struct `buffer`; other typedefs are types. */
function cppTypedef(node: Node, outer: Node): Found[] {
  const type = node.childForFieldName('type');
  const declarator = node.childForFieldName('declarator');
  const name = declarator?.type === 'type_identifier' ? declarator.text : declarator?.descendantsOfType('type_identifier')[0]?.text;
  const hasBody = type?.childForFieldName('body') !== null && type?.childForFieldName('body') !== undefined;
  const kind: SymbolKind = hasBody && type?.type === 'enum_specifier' ? 'enum' : hasBody ? 'struct' : 'type';
  return found(node, outer, kind, 'whole', { body: null }, name);
}

function emit(walk: Walk, f: Found, container: string | undefined): void {
  if (f.membersOnly === true) {
    return;
  }
  const rows = nodeRows(f.outer);
  const definition: SymbolDefinition = {
    name: f.name,
    kind: f.kind,
    path: walk.file.path,
    startLine: rows.start,
    endLine: rows.end,
    text: definitionText(walk, f),
  };
  const owner = f.container ?? container;
  if (owner !== undefined) {
    definition.container = owner;
  }
  if (isExported(walk.grammar, f)) {
    definition.exported = true;
  }
  walk.out.push(definition);
}

/** A class member without `private`, `protected` or a `#` name. */
function isPublicScriptMember(f: Found): boolean {
  const hidden = f.node.namedChildren.some((c) => c.type === 'accessibility_modifier' && c.text !== 'public');
  return !hidden && !f.name.startsWith('#');
}

/** A function of a trait, or of a trait's impl: as visible as the trait. */
function isTraitItem(node: Node): boolean {
  const owner = node.parent?.parent;
  return owner?.type === 'trait_item' || (owner?.type === 'impl_item' && owner.childForFieldName('trait') !== null);
}

function isExported(grammar: GrammarName, f: Found): boolean {
  switch (grammar) {
    case 'typescript':
    case 'tsx':
    case 'javascript':
      return f.outer.type === 'export_statement' || (f.kind === 'method' && isPublicScriptMember(f));
    case 'python':
      return !f.name.startsWith('_') || /^__\w+__$/.test(f.name);
    case 'go':
      return /^\p{Lu}/u.test(f.name);
    case 'rust':
      return f.node.namedChildren.some((c) => c.type === 'visibility_modifier') || isTraitItem(f.node);
    case 'java':
      return f.node.namedChildren.some((c) => c.type === 'modifiers' && /\bpublic\b/.test(c.text)) || f.node.parent?.type === 'interface_body';
    case 'cpp':
      return !f.node.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
    default: {
      const never: never = grammar;
      throw new Error(`no export rule for ${String(never)}`);
    }
  }
}

function definitionText(walk: Walk, f: Found): string {
  return rawText(walk, f).replace(/\r\n?/g, '\n');
}

function rawText(walk: Walk, f: Found): string {
  const { text } = walk.file;
  const start = f.outer.startIndex;
  const indent = indentOf(text, start);
  if (f.shape === 'signature' && f.body) {
    const head = text.slice(start, f.body.startIndex).trimEnd();
    return cap(dedent(head + pythonDocLine(walk, f), indent), walk.grammar);
  }
  const whole = text.slice(start, f.outer.endIndex).trimEnd();
  if (f.shape === 'class' && f.members && whole.split('\n').length > DEFINITION_TEXT_LINES) {
    return cap(dedent(classSummary(walk, f, indent), indent), walk.grammar);
  }
  return cap(dedent(whole, indent), walk.grammar);
}

/** A long class as its head, its members' signatures and its last line. */
function classSummary(walk: Walk, f: Found, indent: string): string {
  const { text } = walk.file;
  const body = f.members!;
  const head = text.slice(f.outer.startIndex, body.startIndex).trimEnd() + pythonDocLine(walk, f);
  const open = walk.grammar === 'python' ? '' : ' {';
  const members: string[] = [];
  for (const child of body.namedChildren) {
    for (const m of visit(walk.grammar, child, child, true)) {
      const memberIndent = indentOf(text, m.outer.startIndex);
      const signature = m.shape === 'signature' && m.body ? text.slice(m.outer.startIndex, m.body.startIndex).trimEnd() : firstLine(text.slice(m.outer.startIndex, m.outer.endIndex));
      members.push(memberIndent + dedent(signature, memberIndent).split('\n').join(`\n${memberIndent}`));
    }
  }
  const closing = walk.grammar === 'python' ? [] : [indent + lastLine(text.slice(f.outer.startIndex, f.outer.endIndex)).trim()];
  return [head + open, ...members, ...closing].join('\n');
}

/** The first line of a Python function's or class's docstring, closed. */
function pythonDocLine(walk: Walk, f: Found): string {
  if (walk.grammar !== 'python' || !f.body) {
    return '';
  }
  const first = f.body.namedChildren[0];
  const doc = first?.type === 'expression_statement' ? first.namedChildren[0] : undefined;
  if (doc?.type !== 'string') {
    return '';
  }
  const line = firstLine(doc.text);
  const quote = /^[rubfRUBF]*("""|'''|"|')/.exec(line)?.[1] ?? '"""';
  const closed = line.length > quote.length && line.trimEnd().endsWith(quote) ? line : `${line}${quote}`;
  return `\n${indentOf(walk.file.text, doc.startIndex)}${closed}`;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

function lastLine(s: string): string {
  return s.slice(s.lastIndexOf('\n') + 1);
}

/** Leading whitespace of the line holding `index`. */
function indentOf(text: string, index: number): string {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, index))?.[0] ?? '';
}

/** Lines after the first lose the first line's indentation, so a member's text reads as at top level. */
function dedent(s: string, indent: string): string {
  if (indent === '') {
    return s;
  }
  return s
    .split('\n')
    .map((line, i) => (i > 0 && line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
}

/** Cuts a text to the line and character caps, with one elision line that the language reads as a comment. */
function cap(s: string, grammar: GrammarName): string {
  const lines = s.split('\n');
  const elision = grammar === 'python' ? '...' : '// ...';
  if (lines.length <= DEFINITION_TEXT_LINES && s.length <= DEFINITION_TEXT_CHARS) {
    return s;
  }
  const last = lines.at(-1)!;
  const closes = lines.length > DEFINITION_TEXT_LINES && /^\s*[}\])];?\s*$/.test(last);
  const kept = lines.slice(0, DEFINITION_TEXT_LINES - (closes ? 2 : 1));
  let out = kept.join('\n');
  if (out.length > DEFINITION_TEXT_CHARS) {
    out = out.slice(0, DEFINITION_TEXT_CHARS);
  }
  const nextIndent = /^[ \t]*/.exec(lines[kept.length] ?? '')?.[0] ?? '';
  return [out, nextIndent + elision, ...(closes ? [last] : [])].join('\n');
}
