import { TemplateError } from '../common/errors';
import { checkValue } from './frontMatter';
import type { ListItem, TemplateMeta, VariableSpec } from './types';

function has(input: Readonly<Record<string, unknown>>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(input, name) && input[name] !== undefined && input[name] !== null;
}

/** Required variables the input lacks, in declaration order: what the host asks the user for. */
export function missingVariables(meta: TemplateMeta, input: Readonly<Record<string, unknown>>): VariableSpec[] {
  return meta.variables.filter((v) => v.required && !has(input, v.name));
}

/**
 * The render context: declared variables only, checked against their types, defaults filled in.
 * Values are copied into fresh plain objects so that nothing the caller passed (getters, class
 * instances, prototypes) reaches the template.
 */
export function resolveVariables(meta: TemplateMeta, file: string, input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const missing = missingVariables(meta, input);
  if (missing.length > 0) {
    const first = missing[0]!;
    const names = missing.map((v) => `'${v.name}'`).join(', ');
    throw new TemplateError(
      file,
      first.line,
      `missing required variable${missing.length > 1 ? 's' : ''} ${names} of template '${meta.id}'${first.description ? ` (${first.description})` : ''}`,
      'missing-variable',
    );
  }
  const context: Record<string, unknown> = {};
  for (const spec of meta.variables) {
    if (!has(input, spec.name)) {
      if (spec.default !== undefined) {
        context[spec.name] = copy(spec.default);
      }
      continue;
    }
    const value = input[spec.name];
    const problem = checkValue(spec, value);
    if (problem) {
      throw new TemplateError(file, spec.line, `variable '${spec.name}' of template '${meta.id}' has the wrong type: ${problem}`, 'variable-type');
    }
    context[spec.name] = copy(value);
  }
  return context;
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item: ListItem) => Object.fromEntries(Object.entries(item)));
  }
  return value;
}

/** Converts text typed by the user (input box, command line) to the variable's type. */
export function coerceVariable(spec: VariableSpec, text: string): { value: unknown } | { error: string } {
  switch (spec.type) {
    case 'string':
    case 'code':
      return { value: text };
    case 'number': {
      const n = Number(text.trim());
      return text.trim() !== '' && Number.isFinite(n) ? { value: n } : { error: `'${text}' is not a number` };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === 'yes' || t === '1') {
        return { value: true };
      }
      if (t === 'false' || t === 'no' || t === '0') {
        return { value: false };
      }
      return { error: `'${text}' is not true or false` };
    }
    case 'enum':
      return (spec.values ?? []).includes(text) ? { value: text } : { error: `'${text}' is not one of ${(spec.values ?? []).join(', ')}` };
    case 'list':
      try {
        const value: unknown = JSON.parse(text);
        const problem = checkValue(spec, value);
        return problem ? { error: problem } : { value };
      } catch {
        return { error: 'expected a JSON list' };
      }
    default: {
      const never: never = spec.type;
      throw new Error(`unhandled variable type ${String(never)}`);
    }
  }
}
