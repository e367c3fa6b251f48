import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../common/errors';
import { TESTS_DIR, fileDiagnostic, normalizeText, type LoadedPack, type LoadedTemplate } from './pack';
import { MAX_EXPECTED_BYTES, MAX_TEST_FILE_BYTES, readPackFile, realPackRoot, writeFileSafely } from './packFiles';
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

interface CaseRun {
  readonly dir: string;
  readonly realRoot: string;
  readonly update: boolean;
}

type CaseBase = Pick<GoldenCaseResult, 'file' | 'line' | 'template' | 'name'>;

/** Renders a case; the error message when it throws. */
function renderCase(template: LoadedTemplate, variables: Record<string, unknown>): { actual?: string; error?: string } {
  try {
    return { actual: template.render(variables).text };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

function expectErrorResult(base: CaseBase, expectError: string, error: string | undefined): GoldenCaseResult {
  const ok = error !== undefined && error.includes(expectError);
  if (ok) {
    return { ...base, ok };
  }
  return { ...base, ok, message: error === undefined ? `expected an error containing '${expectError}', but it rendered` : `expected an error containing '${expectError}', got: ${error}` };
}

/** Compares with an expected file of the pack, which is read (and written with --update) only when it is a plain file inside the pack. */
async function expectedFileResult(base: CaseBase, expectedFile: string, actual: string, run: CaseRun): Promise<GoldenCaseResult> {
  const expectedPath = path.join(run.dir, expectedFile);
  const read = await readPackFile(run.realRoot, expectedPath, MAX_EXPECTED_BYTES);
  if (read.problem && read.problem.code !== 'missing') {
    return { ...base, ok: false, message: `expected file ${expectedFile} is refused: ${read.problem.message}` };
  }
  const expected = read.text !== undefined ? normalizeText(read.text) : undefined;
  if (expected === actual) {
    return { ...base, ok: true };
  }
  if (run.update) {
    const refused = await writeFileSafely(expectedPath, actual, run.realRoot);
    return refused ? { ...base, ok: false, message: `expected file ${expectedFile} is not updated: ${refused.message}` } : { ...base, ok: true, updated: true };
  }
  if (expected === undefined) {
    return { ...base, ok: false, message: `expected file ${expectedFile} is missing; run with --update to create it` };
  }
  return { ...base, ok: false, message: 'rendered output differs from the expected output', diff: lineDiff(expected, actual) };
}

async function caseResult(base: CaseBase, parsed: GoldenCase, template: LoadedTemplate, run: CaseRun): Promise<GoldenCaseResult> {
  const { actual, error } = renderCase(template, parsed.variables);
  if (parsed.expectError !== undefined) {
    return expectErrorResult(base, parsed.expectError, error);
  }
  if (actual === undefined) {
    return { ...base, ok: false, message: `render failed: ${error ?? 'unknown error'}` };
  }
  if (parsed.expectedFile !== undefined) {
    return expectedFileResult(base, parsed.expectedFile, actual, run);
  }
  return parsed.expected === actual ? { ...base, ok: true } : { ...base, ok: false, message: 'rendered output differs from the expected output', diff: lineDiff(parsed.expected ?? '', actual) };
}

/** A golden test file, parsed; a diagnostic when it cannot be read or is malformed. */
async function readTestFile(file: string, realRoot: string): Promise<{ text: string; id: string; cases: unknown[] } | TemplateDiagnostic> {
  const read = await readPackFile(realRoot, file, MAX_TEST_FILE_BYTES);
  if (read.problem) {
    return fileDiagnostic(file, read.problem);
  }
  const text = normalizeText(read.text);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { file, line: 1, severity: 'error', code: 'bad-test', message: `golden test file is not valid JSON: ${errorMessage(err)}` };
  }
  if (!isRecord(data) || typeof data['template'] !== 'string' || !Array.isArray(data['cases'])) {
    return { file, line: 1, severity: 'error', code: 'bad-test', message: 'a golden test file is { "template": "<id>", "cases": [ ... ] }' };
  }
  return { text, id: data['template'], cases: data['cases'] };
}

async function testFileNames(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
}

export async function runGoldenTests(pack: LoadedPack, options: GoldenOptions = {}): Promise<GoldenReport> {
  const run: CaseRun = { dir: path.join(pack.dir, TESTS_DIR), realRoot: await realPackRoot(pack.dir), update: options.update ?? false };
  const results: GoldenCaseResult[] = [];
  const diagnostics: TemplateDiagnostic[] = [];
  const covered = new Set<string>();
  for (const name of await testFileNames(run.dir)) {
    const file = path.join(run.dir, name);
    const test = await readTestFile(file, run.realRoot);
    if ('code' in test) {
      diagnostics.push(test);
      continue;
    }
    covered.add(test.id);
    const template = pack.templates.find((t) => t.meta.id === test.id);
    for (const raw of test.cases) {
      const parsed = parseCase(raw);
      if (typeof parsed === 'string') {
        diagnostics.push({ file, line: 1, severity: 'error', code: 'bad-test', message: parsed });
        continue;
      }
      const base: CaseBase = { file, line: caseLine(test.text, parsed.name), template: test.id, name: parsed.name };
      if (!template) {
        const failed = pack.failed.some((f) => f.id === test.id);
        results.push({ ...base, ok: false, message: failed ? `template '${test.id}' did not load (see lint)` : `no template '${test.id}' in this pack` });
        continue;
      }
      results.push(await caseResult(base, parsed, template, run));
    }
  }
  const untested = pack.templates.map((t) => t.meta.id).filter((id) => !covered.has(id));
  return { results, diagnostics, untested };
}
