import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node, type Pair } from 'yaml';
import * as semver from 'semver';
import { HELPER_NAMES } from './helpers';
import {
  TEMPLATE_KINDS,
  VARIABLE_TYPES,
  type ListItem,
  type TemplateDiagnostic,
  type TemplateKind,
  type TemplateMeta,
  type TemplateParams,
  type VariableSpec,
  type VariableType,
  type VariableValue,
} from './types';

export interface SplitTemplate {
  /** The YAML between the two `---` lines. */
  readonly yaml: string;
  /** File line of the first YAML line. */
  readonly yamlStartLine: number;
  /** The Handlebars source; the file's final newline is not part of it. */
  readonly body: string;
  /** File line of the first body line. */
  readonly bodyStartLine: number;
}

/** `text` must already have LF line endings. */
export function splitFrontMatter(text: string): SplitTemplate | { error: string; line: number } {
  const lines = text.split('\n');
  if (lines[0]?.trimEnd() !== '---') {
    return { error: "missing front matter: a template starts with a '---' line", line: 1 };
  }
  const end = lines.findIndex((line, i) => i > 0 && line.trimEnd() === '---');
  if (end < 0) {
    return { error: "front matter is not closed: add a '---' line after it", line: 1 };
  }
  const body = lines.slice(end + 1).join('\n');
  return {
    yaml: lines.slice(1, end).join('\n'),
    yamlStartLine: 2,
    body: body.endsWith('\n') ? body.slice(0, -1) : body,
    bodyStartLine: end + 2,
  };
}

const TOP_KEYS = ['id', 'title', 'description', 'version', 'kind', 'slash', 'family', 'repoLevel', 'variables', 'params', 'appliesTo'] as const;
const VARIABLE_KEYS = ['name', 'type', 'required', 'default', 'description', 'values'] as const;
const PARAM_KEYS = ['temperature', 'maxTokens', 'stop'] as const;

export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SLASH_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Path segments that reach into prototypes; never valid as names or lookups. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set([
  'constructor',
  '__proto__',
  'prototype',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

/** Names a variable may not take: Handlebars keywords, prototype members, helper names. */
function reservedNameReason(name: string): string | undefined {
  if (FORBIDDEN_SEGMENTS.has(name) || name in Object.prototype) {
    return 'it is an Object.prototype member';
  }
  if (name === 'this' || name === 'else' || name === 'true' || name === 'false' || name === 'null' || name === 'undefined') {
    return 'it is a Handlebars keyword';
  }
  if (HELPER_NAMES.has(name)) {
    return `it is the name of the helper '${name}'`;
  }
  return undefined;
}

/** Edit distance, to suggest the key a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string {
  const best = candidates
    .map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(word.length <= 4 ? 1 : 2, Math.floor(word.length / 3)) ? ` (did you mean '${best.c}'?)` : '';
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (typeof value === 'object') {
    return 'a mapping';
  }
  return `${typeof value} ${JSON.stringify(value)}`;
}

export interface ParsedFrontMatter {
  readonly meta?: TemplateMeta;
  /** The id, when it could be read, even if other keys are invalid. */
  readonly id?: string;
  readonly diagnostics: TemplateDiagnostic[];
}

/** Parses and validates the YAML front matter of `file`; every problem carries its file line. */
export function parseFrontMatter(file: string, split: SplitTemplate): ParsedFrontMatter {
  const diagnostics: TemplateDiagnostic[] = [];
  const counter = new LineCounter();
  const doc = parseDocument(split.yaml, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const lineOf = (offset: number | undefined): number => split.yamlStartLine - 1 + (offset === undefined ? 1 : counter.linePos(offset).line);
  const nodeLine = (node: unknown, fallback: number): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lineOf(range[0]) : fallback;
  };
  const report = (line: number, code: string, message: string): void => {
    diagnostics.push({ file, line, severity: 'error', code, message });
  };

  // Only the first YAML error: the ones after it are usually its consequences. Warnings (an
  // unresolved tag such as !!js/function) are errors here: front matter is plain data.
  for (const err of [...doc.errors, ...doc.warnings].slice(0, 1)) {
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    let line = lineOf(err.pos[0]);
    // An unclosed [ or { is noticed where the next key starts; point at the line that opened it.
    const bracket = /^Flow (sequence|mapping)/.exec(message)?.[1] === 'sequence' ? '[' : /^Flow mapping/.test(message) ? '{' : undefined;
    if (bracket) {
      const yamlLines = split.yaml.split('\n');
      for (let i = Math.min(line - split.yamlStartLine, yamlLines.length - 1); i >= 0; i--) {
        if (yamlLines[i]!.includes(bracket)) {
          line = split.yamlStartLine + i;
          break;
        }
      }
    }
    report(line, 'bad-yaml', `invalid YAML in front matter: ${message}`);
  }
  if (diagnostics.length > 0) {
    return { diagnostics };
  }
  // Aliases can multiply a small text into a huge value; front matter has no use for them.
  visit(doc, {
    Alias(_key, node) {
      report(nodeLine(node, split.yamlStartLine), 'bad-yaml', `YAML aliases (*${node.source}) are not allowed in front matter; write the value out`);
      return visit.BREAK;
    },
  });
  if (diagnostics.length > 0) {
    return { diagnostics };
  }
  const root = doc.contents;
  if (!isMap(root)) {
    report(split.yamlStartLine, 'bad-front-matter', 'front matter must be a YAML mapping of keys such as id, title, version, kind');
    return { diagnostics };
  }

  const pairs = new Map<string, Pair>();
  const keyLines: Record<string, number> = {};
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const line = nodeLine(pair.key, split.yamlStartLine);
    if (key === undefined) {
      report(line, 'bad-front-matter', 'front-matter keys must be plain words');
      continue;
    }
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      report(line, 'unknown-key', `unknown front-matter key '${key}'${suggest(key, TOP_KEYS)}`);
      continue;
    }
    pairs.set(key, pair);
    keyLines[key] = line;
  }
  const firstLine = split.yamlStartLine;
  const valueOf = (key: string): unknown => {
    const pair = pairs.get(key);
    return pair ? (isScalar(pair.value) ? pair.value.value : (pair.value as Node | null)?.toJSON()) : undefined;
  };
  const valueLine = (key: string): number => {
    const pair = pairs.get(key);
    return pair ? nodeLine(pair.value, keyLines[key] ?? firstLine) : firstLine;
  };

  const requiredString = (key: string, pattern?: RegExp, hint?: string): string | undefined => {
    const value = valueOf(key);
    if (value === undefined || value === null) {
      if (!pairs.has(key)) {
        report(firstLine, 'missing-key', `missing required front-matter key '${key}'`);
      } else {
        report(valueLine(key), 'bad-value', `'${key}' must not be empty`);
      }
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      report(valueLine(key), 'bad-value', `'${key}' must be a non-empty string (got ${describe(value)})`);
      return undefined;
    }
    if (pattern && !pattern.test(value)) {
      report(valueLine(key), 'bad-value', `'${key}' ${JSON.stringify(value)} is not valid: ${hint ?? `expected ${pattern.source}`}`);
      return undefined;
    }
    return value;
  };
  const optionalString = (key: string, pattern?: RegExp, hint?: string): string | undefined =>
    pairs.has(key) ? requiredString(key, pattern, hint) : undefined;

  const id = requiredString('id', ID_PATTERN, 'use lower-case letters, digits, dots, dashes and underscores (at most 64)');
  const title = requiredString('title');
  const descriptionValue = valueOf('description');
  let description: string | undefined = '';
  if (descriptionValue !== undefined && descriptionValue !== null && typeof descriptionValue !== 'string') {
    report(valueLine('description'), 'bad-value', `'description' must be a string (got ${describe(descriptionValue)})`);
    description = undefined;
  } else if (typeof descriptionValue === 'string') {
    description = descriptionValue;
  }
  const versionValue = valueOf('version');
  let version: string | undefined;
  if (!pairs.has('version')) {
    report(firstLine, 'missing-key', "missing required front-matter key 'version'");
  } else if (typeof versionValue !== 'string' || semver.valid(versionValue) !== versionValue) {
    report(
      valueLine('version'),
      'bad-version',
      `'version' must be a semantic version such as 1.0.0 (got ${describe(versionValue)})${typeof versionValue === 'number' ? '; quote it' : ''}`,
    );
  } else {
    version = versionValue;
  }
  const kindValue = requiredString('kind');
  let kind: TemplateKind | undefined;
  if (kindValue !== undefined) {
    if ((TEMPLATE_KINDS as readonly string[]).includes(kindValue)) {
      kind = kindValue as TemplateKind;
    } else {
      report(valueLine('kind'), 'unknown-kind', `unknown kind '${kindValue}': expected one of ${TEMPLATE_KINDS.join(', ')}${suggest(kindValue, TEMPLATE_KINDS)}`);
    }
  }
  const slash = optionalString('slash', SLASH_PATTERN, 'a slash command is a lower-case word, dashes allowed (at most 32)');
  if (slash !== undefined && kind !== undefined && kind !== 'chat' && kind !== 'command') {
    report(keyLines['slash'] ?? firstLine, 'bad-value', `'slash' is only for kinds chat and command, not ${kind}`);
  }
  const family = optionalString('family', /^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model family id such as qwen2.5-coder');
  if (kind === 'fim' && family === undefined && !pairs.has('family')) {
    report(keyLines['kind'] ?? firstLine, 'missing-key', "a fim template needs 'family' (the model family its tokens belong to)");
  }
  if (kind !== undefined && kind !== 'fim' && pairs.has('family')) {
    report(keyLines['family'] ?? firstLine, 'bad-value', `'family' is only for kind fim, not ${kind}`);
  }
  const repoLevelValue = valueOf('repoLevel');
  if (repoLevelValue !== undefined && typeof repoLevelValue !== 'boolean') {
    report(valueLine('repoLevel'), 'bad-value', `'repoLevel' must be true or false (got ${describe(repoLevelValue)})`);
  }
  const repoLevel = repoLevelValue === true;

  const variables = parseVariables(pairs.get('variables'), nodeLine, report, keyLines['variables'] ?? firstLine);
  const params = parseParams(pairs.get('params'), nodeLine, report, keyLines['params'] ?? firstLine);
  const appliesTo = parseStringList(pairs.get('appliesTo'), 'appliesTo', nodeLine, report, keyLines['appliesTo'] ?? firstLine);

  if (kind === 'fim' && variables) {
    for (const name of repoLevel ? ['prefix', 'suffix', 'files'] : ['prefix', 'suffix']) {
      const type = name === 'files' ? 'list' : 'code';
      if (!variables.some((v) => v.name === name && v.type === type)) {
        report(keyLines['variables'] ?? keyLines['kind'] ?? firstLine, 'missing-variable-declaration', `a fim template must declare the ${type} variable '${name}'`);
      }
    }
  }

  if (diagnostics.length > 0 || !id || !title || description === undefined || !version || !kind || !variables || !params || !appliesTo) {
    return { id, diagnostics };
  }
  return {
    id,
    diagnostics,
    meta: {
      id,
      title,
      description,
      version,
      kind,
      ...(slash !== undefined ? { slash } : {}),
      ...(family !== undefined ? { family } : {}),
      repoLevel,
      variables,
      params,
      appliesTo,
      keyLines,
    },
  };
}

type Report = (line: number, code: string, message: string) => void;
type NodeLine = (node: unknown, fallback: number) => number;

function parseStringList(pair: Pair | undefined, key: string, nodeLine: NodeLine, report: Report, line: number): string[] | undefined {
  if (!pair) {
    return [];
  }
  if (!isSeq(pair.value)) {
    report(nodeLine(pair.value, line), 'bad-value', `'${key}' must be a list of strings`);
    return undefined;
  }
  const out: string[] = [];
  for (const item of pair.value.items) {
    const value = isScalar(item) ? item.value : undefined;
    if (typeof value !== 'string' || value === '') {
      report(nodeLine(item, line), 'bad-value', `'${key}' entries must be non-empty strings (got ${describe(isScalar(item) ? item.value : (item as Node | null)?.toJSON())})`);
      return undefined;
    }
    out.push(value);
  }
  return out;
}

function parseParams(pair: Pair | undefined, nodeLine: NodeLine, report: Report, line: number): TemplateParams | undefined {
  if (!pair) {
    return {};
  }
  if (!isMap(pair.value)) {
    report(nodeLine(pair.value, line), 'bad-value', "'params' must be a mapping of temperature, maxTokens, stop");
    return undefined;
  }
  let ok = true;
  const params: { temperature?: number; maxTokens?: number; stop?: string[] } = {};
  for (const item of pair.value.items) {
    const key = isScalar(item.key) ? String(item.key.value) : '';
    const keyLine = nodeLine(item.key, line);
    const value = isScalar(item.value) ? item.value.value : (item.value as Node | null)?.toJSON();
    const valueLine = nodeLine(item.value, keyLine);
    if (key === 'temperature') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 2)) {
        report(valueLine, 'bad-value', `'params.temperature' must be a number from 0 to 2 (got ${describe(value)})`);
        ok = false;
      } else {
        params.temperature = value;
      }
    } else if (key === 'maxTokens') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1_000_000) {
        report(valueLine, 'bad-value', `'params.maxTokens' must be a whole number from 1 to 1000000 (got ${describe(value)})`);
        ok = false;
      } else {
        params.maxTokens = value;
      }
    } else if (key === 'stop') {
      const list = parseStringList(item as Pair, 'params.stop', nodeLine, report, keyLine);
      if (!list) {
        ok = false;
      } else if (list.length > 16) {
        report(valueLine, 'bad-value', "'params.stop' holds at most 16 sequences");
        ok = false;
      } else {
        params.stop = list;
      }
    } else {
      report(keyLine, 'unknown-key', `unknown key 'params.${key}'${suggest(key, PARAM_KEYS)}`);
      ok = false;
    }
  }
  return ok ? params : undefined;
}

function isListItem(value: unknown): value is ListItem {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(([k, v]) => !FORBIDDEN_SEGMENTS.has(k) && ['string', 'number', 'boolean'].includes(typeof v))
  );
}

/** Why `value` is not a valid value of `spec`, or undefined when it is. Shared by defaults and render input. */
export function checkValue(spec: Pick<VariableSpec, 'type' | 'values'>, value: unknown): string | undefined {
  switch (spec.type) {
    case 'string':
    case 'code':
      return typeof value === 'string' ? undefined : `expected ${spec.type === 'code' ? 'code (a string)' : 'a string'}, got ${describe(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `expected a number, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected true or false, got ${describe(value)}`;
    case 'enum':
      return typeof value === 'string' && (spec.values ?? []).includes(value)
        ? undefined
        : `expected one of ${(spec.values ?? []).join(', ')}, got ${describe(value)}`;
    case 'list':
      return Array.isArray(value) && value.every(isListItem)
        ? undefined
        : `expected a list of records with string, number or boolean fields, got ${describe(value)}`;
    default: {
      const never: never = spec.type;
      throw new Error(`unhandled variable type ${String(never)}`);
    }
  }
}

function parseVariables(pair: Pair | undefined, nodeLine: NodeLine, report: Report, line: number): VariableSpec[] | undefined {
  if (!pair) {
    return [];
  }
  if (!isSeq(pair.value)) {
    report(nodeLine(pair.value, line), 'bad-value', "'variables' must be a list of { name, type, required, default, description }");
    return undefined;
  }
  let ok = true;
  const out: VariableSpec[] = [];
  const seen = new Map<string, number>();
  for (const item of pair.value.items) {
    const itemLine = nodeLine(item, line);
    if (!isMap(item)) {
      report(itemLine, 'bad-variable', 'each variable must be a mapping with at least name and type');
      ok = false;
      continue;
    }
    const fields = new Map<string, { value: unknown; line: number; keyLine: number }>();
    for (const field of item.items) {
      const key = isScalar(field.key) ? String(field.key.value) : '';
      const keyLine = nodeLine(field.key, itemLine);
      if (!(VARIABLE_KEYS as readonly string[]).includes(key)) {
        report(keyLine, 'unknown-key', `unknown variable key '${key}'${suggest(key, VARIABLE_KEYS)}`);
        ok = false;
        continue;
      }
      const value = isScalar(field.value) ? field.value.value : (field.value as Node | null)?.toJSON();
      fields.set(key, { value, line: nodeLine(field.value, keyLine), keyLine });
    }
    const name = fields.get('name');
    if (!name || typeof name.value !== 'string' || !NAME_PATTERN.test(name.value)) {
      report(name?.line ?? itemLine, 'bad-variable', `variable 'name' must be an identifier (letters, digits, _), got ${describe(name?.value)}`);
      ok = false;
      continue;
    }
    const reserved = reservedNameReason(name.value);
    if (reserved) {
      report(name.line, 'bad-variable', `variable name '${name.value}' is not allowed: ${reserved}`);
      ok = false;
      continue;
    }
    const previous = seen.get(name.value);
    if (previous !== undefined) {
      report(name.line, 'duplicate-variable', `variable '${name.value}' is declared twice (first on line ${previous})`);
      ok = false;
      continue;
    }
    seen.set(name.value, name.line);
    const type = fields.get('type');
    if (!type || typeof type.value !== 'string' || !(VARIABLE_TYPES as readonly string[]).includes(type.value)) {
      const got = typeof type?.value === 'string' ? type.value : describe(type?.value);
      report(
        type?.line ?? name.line,
        'bad-variable',
        `variable '${name.value}' needs a type: one of ${VARIABLE_TYPES.join(', ')} (got ${type ? got : 'none'})${typeof type?.value === 'string' ? suggest(type.value, VARIABLE_TYPES) : ''}`,
      );
      ok = false;
      continue;
    }
    const variableType = type.value as VariableType;
    const required = fields.get('required');
    if (required && typeof required.value !== 'boolean') {
      report(required.line, 'bad-variable', `variable '${name.value}': 'required' must be true or false (got ${describe(required.value)})`);
      ok = false;
      continue;
    }
    const description = fields.get('description');
    if (description && typeof description.value !== 'string') {
      report(description.line, 'bad-variable', `variable '${name.value}': 'description' must be a string`);
      ok = false;
      continue;
    }
    const valuesField = fields.get('values');
    let values: string[] | undefined;
    if (variableType === 'enum') {
      if (!valuesField || !Array.isArray(valuesField.value) || valuesField.value.length === 0 || !valuesField.value.every((v) => typeof v === 'string' && v !== '')) {
        report(valuesField?.line ?? type.line, 'bad-variable', `enum variable '${name.value}' needs 'values': a non-empty list of strings`);
        ok = false;
        continue;
      }
      values = valuesField.value as string[];
    } else if (valuesField) {
      report(valuesField.keyLine, 'bad-variable', `variable '${name.value}': 'values' is only for type enum`);
      ok = false;
      continue;
    }
    const isRequired = required?.value === true;
    const defaultField = fields.get('default');
    if (defaultField && isRequired) {
      report(defaultField.keyLine, 'bad-variable', `variable '${name.value}' is required, so a default would never be used; remove one of them`);
      ok = false;
      continue;
    }
    if (defaultField) {
      const problem = checkValue({ type: variableType, ...(values ? { values } : {}) }, defaultField.value);
      if (problem) {
        report(defaultField.line, 'bad-default', `default of variable '${name.value}' (${variableType}): ${problem}`);
        ok = false;
        continue;
      }
    }
    out.push({
      name: name.value,
      type: variableType,
      required: isRequired,
      ...(defaultField ? { default: defaultField.value as VariableValue } : {}),
      description: typeof description?.value === 'string' ? description.value : '',
      ...(values ? { values } : {}),
      line: name.line,
    });
  }
  return ok ? out : undefined;
}
