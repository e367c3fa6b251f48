import { AutoGlmError } from '../../common/errors';
import type { JsonSchema } from '../../protocol/generation';
import { compilePattern, PatternError, type Pattern } from './pattern';
import { literalTexts, type NumberRange, type ObjectNode, type PropertyNode, type SchemaNode } from './schemaNodes';

/**
 * Compiles a JSON schema (from a request, so hostile: bounded size and depth) into the nodes the
 * matcher walks. Supported: type (one or a list), object (properties, required,
 * additionalProperties), string (minLength, maxLength, pattern: see pattern.ts), number and integer (minimum, maximum,
 * exclusiveMinimum, exclusiveMaximum), boolean, null, array (items, minItems, maxItems), enum and
 * const of any JSON value, anyOf and oneOf (both as anyOf), a one-element allOf, and `$ref` to
 * `#/$defs/...` or `#/definitions/...`. Annotations (title, description, format, ...) are ignored.
 * Anything else is rejected, naming the keyword and where it is, rather than silently producing
 * output that the schema does not accept.
 *
 * Decisions that shape the output:
 * - an object's properties are written in schema order; optional ones may be left out;
 * - `additionalProperties` absent or false with `properties` given: only the listed properties
 *   (what tool arguments need); an object schema without `properties` is a map of any keys,
 *   with values under `additionalProperties` when it is a schema;
 * - enum and const values are written exactly as JSON.stringify writes them.
 */

const LIMITS = { nodes: 20_000, depth: 48, enumValues: 1_024, literalBytes: 1 << 16, properties: 256, options: 64 };

const ANNOTATIONS = new Set([
  'title', 'description', 'default', 'examples', '$comment', '$schema', '$id', 'deprecated', 'readOnly', 'writeOnly',
  'format', 'contentEncoding', 'contentMediaType', '$defs', 'definitions', 'nullable', 'strict',
]);

const TYPE_KEYWORDS: Readonly<Record<string, readonly string[]>> = {
  object: ['type', 'properties', 'required', 'additionalProperties'],
  array: ['type', 'items', 'minItems', 'maxItems'],
  string: ['type', 'minLength', 'maxLength', 'pattern'],
  number: ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  integer: ['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  boolean: ['type'],
  null: ['type'],
};

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Hands out node ids; one counter per grammar, so that ids are unique across its schemas. */
export interface NodeIds {
  next: number;
}

class SchemaCompiler {
  private literalBytes = 0;
  private readonly refs = new Map<string, SchemaNode & { kind: 'ref' }>();
  private anyNode: SchemaNode | undefined;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly root: JsonSchema,
    private readonly ids: NodeIds,
  ) {}

  private get nextId(): number {
    return this.ids.next;
  }

  private set nextId(n: number) {
    this.ids.next = n;
  }

  compile(schema: unknown, path: string, depth: number): SchemaNode {
    if (this.nextId > LIMITS.nodes) {
      fail(path, `the schema is too large (over ${LIMITS.nodes} parts)`);
    }
    if (depth > LIMITS.depth) {
      fail(path, `the schema nests deeper than ${LIMITS.depth} levels`);
    }
    if (schema === true) {
      return this.any();
    }
    if (schema === false) {
      fail(path, 'the schema `false` accepts no value');
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      fail(path, 'a schema must be an object or a boolean');
    }
    const s = schema as Record<string, unknown>;
    const keys = Object.keys(s).filter((k) => !ANNOTATIONS.has(k));
    if (keys.length === 0) {
      return this.any();
    }
    if ('$ref' in s) {
      only(s, keys, ['$ref'], path);
      return this.ref(s['$ref'], `${path}/$ref`);
    }
    for (const combinator of ['anyOf', 'oneOf', 'allOf']) {
      if (combinator in s) {
        only(s, keys, [combinator], path);
        return this.combination(combinator, s[combinator], `${path}/${combinator}`, depth);
      }
    }
    if ('enum' in s || 'const' in s) {
      return this.literals(s, keys, path);
    }
    const types = this.types(s, path);
    if (types.length === 1) {
      return this.typed(types[0]!, s, keys, path, depth);
    }
    return { kind: 'any-of', id: this.nextId++, options: types.map((t) => this.typed(t, s, keys, path, depth)) };
  }

  private any(): SchemaNode {
    if (this.anyNode) {
      return this.anyNode;
    }
    const options: SchemaNode[] = [];
    const node: SchemaNode = { kind: 'any-of', id: this.nextId++, options };
    this.anyNode = node;
    options.push(
      { kind: 'object', id: this.nextId++, properties: [], lastRequired: -1, additional: node },
      { kind: 'array', id: this.nextId++, items: node, minItems: 0, maxItems: Infinity },
      { kind: 'string', id: this.nextId++, minLength: 0, maxLength: Infinity, pattern: undefined },
      { kind: 'number', id: this.nextId++, integer: false, range: undefined },
      { kind: 'literals', id: this.nextId++, texts: literalTexts(['true', 'false', 'null']) },
    );
    return node;
  }

  private ref(ref: unknown, path: string): SchemaNode {
    if (typeof ref !== 'string') {
      fail(path, '$ref must be a string');
    }
    const known = this.refs.get(ref);
    if (known) {
      return known;
    }
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const defs = match ? this.root[match[1]!] : undefined;
    const name = match ? decodePointer(match[2]!) : '';
    if (!match || typeof defs !== 'object' || defs === null || !Object.prototype.hasOwnProperty.call(defs, name)) {
      fail(path, `$ref ${JSON.stringify(ref)} is not supported (only #/$defs/<name> and #/definitions/<name> of this schema)`);
    }
    const node: SchemaNode & { kind: 'ref' } = { kind: 'ref', id: this.nextId++, target: undefined, path: ref };
    this.refs.set(ref, node);
    node.target = this.compile((defs as Record<string, unknown>)[name], ref, 1);
    return node;
  }

  private combination(combinator: string, list: unknown, path: string, depth: number): SchemaNode {
    if (!Array.isArray(list) || list.length === 0) {
      fail(path, `${combinator} must be a non-empty array`);
    }
    if (combinator === 'allOf') {
      if (list.length !== 1) {
        fail(path, 'allOf with more than one schema is not supported');
      }
      return this.compile(list[0], `${path}/0`, depth + 1);
    }
    if (list.length > LIMITS.options) {
      fail(path, `${combinator} has more than ${LIMITS.options} schemas`);
    }
    return { kind: 'any-of', id: this.nextId++, options: list.map((option, i) => this.compile(option, `${path}/${i}`, depth + 1)) };
  }

  private types(s: Record<string, unknown>, path: string): string[] {
    const t = s['type'];
    if (t === undefined) {
      if ('properties' in s || 'additionalProperties' in s || 'required' in s) return ['object'];
      if ('items' in s || 'minItems' in s || 'maxItems' in s) return ['array'];
      if ('minLength' in s || 'maxLength' in s) return ['string'];
      if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].some((k) => k in s)) return ['number'];
      const keyword = Object.keys(s).find((k) => !ANNOTATIONS.has(k));
      fail(`${path}/${keyword ?? ''}`, `keyword ${JSON.stringify(keyword)} is not supported`);
    }
    const list = Array.isArray(t) ? t : [t];
    if (list.length === 0 || list.some((x) => typeof x !== 'string' || !(x in TYPE_KEYWORDS))) {
      fail(`${path}/type`, `type must be one of ${Object.keys(TYPE_KEYWORDS).join(', ')} (or a list of them)`);
    }
    return [...new Set(list as string[])];
  }

  private typed(type: string, s: Record<string, unknown>, keys: string[], path: string, depth: number): SchemaNode {
    const allowed = new Set(Object.values(TYPE_KEYWORDS).flat());
    const stray = keys.find((k) => !allowed.has(k));
    if (stray !== undefined) {
      fail(`${path}/${stray}`, `keyword ${JSON.stringify(stray)} is not supported`);
    }
    switch (type) {
      case 'object':
        return this.object(s, path, depth);
      case 'array': {
        const minItems = count(s, 'minItems', path, 0);
        const maxItems = count(s, 'maxItems', path, Infinity);
        if (minItems > maxItems) fail(path, 'minItems is larger than maxItems');
        const items = 'items' in s ? this.compile(s['items'], `${path}/items`, depth + 1) : this.any();
        return { kind: 'array', id: this.nextId++, items, minItems, maxItems };
      }
      case 'string': {
        const minLength = count(s, 'minLength', path, 0);
        const maxLength = count(s, 'maxLength', path, Infinity);
        if (minLength > maxLength) fail(path, 'minLength is larger than maxLength');
        return { kind: 'string', id: this.nextId++, minLength, maxLength, pattern: pattern(s['pattern'], `${path}/pattern`, minLength, maxLength) };
      }
      case 'number':
      case 'integer':
        return { kind: 'number', id: this.nextId++, integer: type === 'integer', range: numberRange(s, path, type === 'integer') };
      case 'boolean':
        return { kind: 'literals', id: this.nextId++, texts: literalTexts(['true', 'false']) };
      default:
        return { kind: 'literals', id: this.nextId++, texts: literalTexts(['null']) };
    }
  }

  private object(s: Record<string, unknown>, path: string, depth: number): ObjectNode {
    const props = s['properties'];
    const required = s['required'] ?? [];
    if (props !== undefined && (typeof props !== 'object' || props === null || Array.isArray(props))) {
      fail(`${path}/properties`, 'properties must be an object');
    }
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) {
      fail(`${path}/required`, 'required must be an array of strings');
    }
    const names = props === undefined ? [] : Object.keys(props);
    if (names.length > LIMITS.properties) {
      fail(`${path}/properties`, `more than ${LIMITS.properties} properties`);
    }
    // Only listed properties are written, so a required one must be listed.
    const missing = (required as string[]).find((r) => !names.includes(r));
    if (missing !== undefined) {
      fail(`${path}/required`, `required property ${JSON.stringify(missing)} is not among the properties`);
    }
    const properties: PropertyNode[] = names.map((name) => ({
      name,
      keyRest: this.encoder.encode(JSON.stringify(name).slice(1)),
      value: this.compile((props as Record<string, unknown>)[name], `${path}/properties/${encodePointer(name)}`, depth + 1),
      required: (required as string[]).includes(name),
    }));
    const lastRequired = Math.max(-1, ...(required as string[]).map((r) => names.indexOf(r)));
    const extra = s['additionalProperties'];
    let additional: SchemaNode | undefined;
    if (props === undefined && extra !== false) {
      additional = extra === undefined || extra === true ? this.any() : this.compile(extra, `${path}/additionalProperties`, depth + 1);
    }
    return { kind: 'object', id: this.nextId++, properties, lastRequired, additional };
  }

  private literals(s: Record<string, unknown>, keys: string[], path: string): SchemaNode {
    const values: unknown[] = 'const' in s ? [s['const']] : Array.isArray(s['enum']) ? (s['enum'] as unknown[]) : fail(`${path}/enum`, 'enum must be an array');
    if ('const' in s && 'enum' in s) {
      fail(path, 'const and enum together are not supported');
    }
    const types = 'type' in s ? this.types(s, path) : undefined;
    const stray = keys.find((k) => !['enum', 'const', 'type'].includes(k));
    if (stray !== undefined) {
      fail(`${path}/${stray}`, `keyword ${JSON.stringify(stray)} beside enum/const is not supported`);
    }
    if (values.length > LIMITS.enumValues) {
      fail(`${path}/enum`, `more than ${LIMITS.enumValues} values`);
    }
    const kept = values.filter((v) => types === undefined || types.includes(jsonType(v)) || (types.includes('number') && jsonType(v) === 'integer'));
    if (kept.length === 0) {
      fail(path, 'no enum/const value has the schema type');
    }
    const texts = literalTexts(kept.map((v) => JSON.stringify(v as JsonValue)));
    this.literalBytes += texts.reduce((n, t) => n + t.length, 0);
    if (this.literalBytes > LIMITS.literalBytes) {
      fail(path, `enum/const values exceed ${LIMITS.literalBytes} bytes`);
    }
    return { kind: 'literals', id: this.nextId++, texts };
  }
}

/** Compiles `schema`; throws AutoGlmError 'invalid-request' naming what is unsupported and where. */
export function compileSchema(schema: JsonSchema, ids: NodeIds = { next: 0 }, where = '#'): SchemaNode {
  const compiler = new SchemaCompiler(schema, ids);
  const root = compiler.compile(schema, where, 0);
  rejectEmptyLoops(root);
  return root;
}

/**
 * A schema that reaches itself through anyOf or $ref alone (`{"$ref": "#/$defs/a"}` inside `a`)
 * would expand forever without reading a byte: reject it at compile time.
 */
function rejectEmptyLoops(root: SchemaNode): void {
  const done = new Set<SchemaNode>();
  const visit = (node: SchemaNode, path: Set<SchemaNode>): void => {
    if (path.has(node)) {
      fail(node.kind === 'ref' ? node.path : '#', 'the schema refers to itself without any value in between');
    }
    if (done.has(node)) return;
    const inner = new Set(path).add(node);
    if (node.kind === 'ref') visit(node.target!, inner);
    else if (node.kind === 'any-of') node.options.forEach((o) => visit(o, inner));
    done.add(node);
    for (const child of children(node)) visit(child, new Set());
  };
  visit(root, new Set());
}

function children(node: SchemaNode): SchemaNode[] {
  switch (node.kind) {
    case 'object':
      return [...node.properties.map((p) => p.value), ...(node.additional ? [node.additional] : [])];
    case 'array':
      return [node.items];
    default:
      return [];
  }
}

function pattern(source: unknown, path: string, minLength: number, maxLength: number): Pattern | undefined {
  if (source === undefined) return undefined;
  if (typeof source !== 'string' || source.length > 1_000) fail(path, 'pattern must be a string of at most 1000 characters');
  let compiled: Pattern;
  try {
    compiled = compilePattern(source);
  } catch (err) {
    if (err instanceof PatternError) fail(path, `pattern ${JSON.stringify(source)} is not supported: ${err.message}`);
    throw err;
  }
  if (!compiled.reachable(compiled.start, minLength, maxLength)) fail(path, `no string of minLength..maxLength characters matches ${JSON.stringify(source)}`);
  return compiled;
}

function numberRange(s: Record<string, unknown>, path: string, integer: boolean): NumberRange | undefined {
  const bound = (k: string): number | undefined => {
    const v = s[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}/${k}`, `${k} must be a finite number`);
    return v;
  };
  const [min, max, xmin, xmax] = [bound('minimum'), bound('maximum'), bound('exclusiveMinimum'), bound('exclusiveMaximum')];
  if (min === undefined && max === undefined && xmin === undefined && xmax === undefined) {
    return undefined;
  }
  const lowOpen = xmin !== undefined && (min === undefined || xmin >= min);
  const highOpen = xmax !== undefined && (max === undefined || xmax <= max);
  const range: NumberRange = {
    low: lowOpen ? xmin! : (min ?? -Infinity),
    lowOpen,
    high: highOpen ? xmax! : (max ?? Infinity),
    highOpen,
  };
  const empty = integer
    ? firstIntegerAbove(range) > lastIntegerBelow(range)
    : range.low > range.high || (range.low === range.high && (range.lowOpen || range.highOpen));
  if (empty) {
    fail(path, 'no number lies within minimum/maximum');
  }
  return range;
}

function firstIntegerAbove(r: NumberRange): number {
  const c = Math.ceil(r.low);
  return r.lowOpen && c === r.low ? c + 1 : c;
}

function lastIntegerBelow(r: NumberRange): number {
  const f = Math.floor(r.high);
  return r.highOpen && f === r.high ? f - 1 : f;
}

function count(s: Record<string, unknown>, k: string, path: string, fallback: number): number {
  const v = s[k];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${path}/${k}`, `${k} must be a non-negative integer`);
  return v;
}

function only(s: Record<string, unknown>, keys: string[], allowed: string[], path: string): void {
  const stray = keys.find((k) => !allowed.includes(k));
  if (stray !== undefined) {
    fail(`${path}/${stray}`, `keyword ${JSON.stringify(stray)} beside ${allowed.join('/')} is not supported`);
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function decodePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function encodePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function fail(path: string, problem: string): never {
  throw new AutoGlmError(`Unsupported JSON schema at ${path}: ${problem}`, 'invalid-request');
}

