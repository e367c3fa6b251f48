import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../common/errors';
import { TESTS_DIR, normalizeText, type LoadedPack } from './pack';
import { lineDiff } from './textDiff';
import type { TemplateDiagnostic } from './types';

/**
 * Golden tests: `tests/*.json` in a pack, each `{ "template": id, "cases": [...] }` where a case is
 * `{ "name", "variables", "expectedFile" }` (text file beside the JSON), `{ ..., "expected": "..." }`
 * inline, or `{ ..., "expectError": "part of the message" }` for inputs that must be refused.
 */
export interface GoldenCaseResult {
  readonly file: string;
  readonly line: number;
  readonly template: string;
  readonly name: string;
  readonly ok: boolean;
  readonly message?: string;
  readonly diff?: readonly string[];
  /** Set when --update wrote the expected file. */
  readonly updated?: boolean;
}

export interface GoldenReport {
  readonly results: readonly GoldenCaseResult[];
  /** Malformed test files. */
  readonly diagnostics: readonly TemplateDiagnostic[];
  /** Ids of the pack's templates that no golden case covers. */
  readonly untested: readonly string[];
}

interface GoldenCase {
  name: string;
  variables: Record<string, unknown>;
  expected?: string;
  expectedFile?: string;
  expectError?: string;
}

/** Line of the `"name": "<name>"` of a case, so a failure points at its case. */
function caseLine(text: string, name: string): number {
  const at = text.indexOf(`"name": ${JSON.stringify(name)}`);
  return at < 0 ? 1 : text.slice(0, at).split('\n').length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCase(value: unknown): GoldenCase | string {
  if (!isRecord(value) || typeof value['name'] !== 'string') {
    return 'each case needs a "name" string';
  }
  const name = value['name'];
  if (value['variables'] !== undefined && !isRecord(value['variables'])) {
    return `case '${name}': "variables" must be an object`;
  }
  const outcomes = ['expected', 'expectedFile', 'expectError'].filter((k) => value[k] !== undefined);
  if (outcomes.length !== 1 || typeof value[outcomes[0]!] !== 'string') {
    return `case '${name}' needs exactly one of "expected", "expectedFile" or "expectError" (a string)`;
  }
  const expectedFile = value['expectedFile'];
  if (typeof expectedFile === 'string' && (path.isAbsolute(expectedFile) || expectedFile.split(/[\\/]/).includes('..'))) {
    return `case '${name}': "expectedFile" must be a file inside the tests folder`;
  }
  return {
    name,
    variables: (value['variables'] as Record<string, unknown> | undefined) ?? {},
    ...(typeof value['expected'] === 'string' ? { expected: value['expected'] } : {}),
    ...(typeof expectedFile === 'string' ? { expectedFile } : {}),
    ...(typeof value['expectError'] === 'string' ? { expectError: value['expectError'] } : {}),
  };
}

export interface GoldenOptions {
  /** Rewrite `expectedFile` files with the rendered output instead of comparing. */
  readonly update?: boolean;
}

export async function runGoldenTests(pack: LoadedPack, options: GoldenOptions = {}): Promise<GoldenReport> {
  const dir = path.join(pack.dir, TESTS_DIR);
  const results: GoldenCaseResult[] = [];
  const diagnostics: TemplateDiagnostic[] = [];
  const covered = new Set<string>();
  let names: string[] = [];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    names = [];
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const text = normalizeText(await fs.readFile(file, 'utf8'));
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      diagnostics.push({ file, line: 1, severity: 'error', code: 'bad-test', message: `golden test file is not valid JSON: ${errorMessage(err)}` });
      continue;
    }
    if (!isRecord(data) || typeof data['template'] !== 'string' || !Array.isArray(data['cases'])) {
      diagnostics.push({ file, line: 1, severity: 'error', code: 'bad-test', message: 'a golden test file is { "template": "<id>", "cases": [ ... ] }' });
      continue;
    }
    const id = data['template'];
    covered.add(id);
    const template = pack.templates.find((t) => t.meta.id === id);
    for (const raw of data['cases']) {
      const parsed = parseCase(raw);
      if (typeof parsed === 'string') {
        diagnostics.push({ file, line: 1, severity: 'error', code: 'bad-test', message: parsed });
        continue;
      }
      const line = caseLine(text, parsed.name);
      const base = { file, line, template: id, name: parsed.name };
      if (!template) {
        const failed = pack.failed.some((f) => f.id === id);
        results.push({ ...base, ok: false, message: failed ? `template '${id}' did not load (see lint)` : `no template '${id}' in this pack` });
        continue;
      }
      let actual: string | undefined;
      let error: string | undefined;
      try {
        actual = template.render(parsed.variables).text;
      } catch (err) {
        error = errorMessage(err);
      }
      if (parsed.expectError !== undefined) {
        const ok = error !== undefined && error.includes(parsed.expectError);
        results.push({ ...base, ok, ...(ok ? {} : { message: error === undefined ? `expected an error containing '${parsed.expectError}', but it rendered` : `expected an error containing '${parsed.expectError}', got: ${error}` }) });
        continue;
      }
      if (actual === undefined) {
        results.push({ ...base, ok: false, message: `render failed: ${error ?? 'unknown error'}` });
        continue;
      }
      let expected = parsed.expected;
      const expectedPath = parsed.expectedFile !== undefined ? path.join(dir, parsed.expectedFile) : undefined;
      if (expectedPath) {
        try {
          expected = normalizeText(await fs.readFile(expectedPath, 'utf8'));
        } catch {
          expected = undefined;
        }
      }
      if (expected === actual) {
        results.push({ ...base, ok: true });
      } else if (options.update && expectedPath) {
        await fs.writeFile(expectedPath, actual, 'utf8');
        results.push({ ...base, ok: true, updated: true });
      } else if (expected === undefined) {
        results.push({ ...base, ok: false, message: `expected file ${parsed.expectedFile} is missing; run with --update to create it` });
      } else {
        results.push({ ...base, ok: false, message: 'rendered output differs from the expected output', diff: lineDiff(expected, actual) });
      }
    }
  }
  const untested = pack.templates.map((t) => t.meta.id).filter((id) => !covered.has(id));
  return { results, diagnostics, untested };
}
