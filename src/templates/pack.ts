import { createHash } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../common/version';
import { analyzeTemplate, parseSource, PARTIAL_NAME, type PartialSource } from './analyze';
import { parseFrontMatter, splitFrontMatter } from './frontMatter';
import { MANIFEST_FILE, parseManifest } from './manifest';
import { MAX_MANIFEST_BYTES, readPackFile, realPackRoot, type FileProblem } from './packFiles';
import { PackRuntime } from './runtime';
import { resolveVariables } from './variables';
import {
  DEFAULT_LIMITS,
  type LoadLimits,
  type PackInfo,
  type PackManifest,
  type PackSource,
  type RenderOptions,
  type RenderResult,
  type TemplateDiagnostic,
  type TemplateMeta,
} from './types';

export const PARTIALS_DIR = 'partials';
export const TESTS_DIR = 'tests';
const TEMPLATE_EXT = '.hbs';

export interface LoadedTemplate {
  readonly meta: TemplateMeta;
  /** Absolute path of the .hbs file. */
  readonly file: string;
  readonly pack: PackInfo;
  /** `sha256:` digest of the file with LF line endings, for the lock file. */
  readonly hash: string;
  /** Renders with the given variables; throws TemplateError for missing or mistyped variables and limits. */
  render(input: Readonly<Record<string, unknown>>, options?: RenderOptions): RenderResult;
}

export interface PartialInfo {
  readonly name: string;
  readonly file: string;
  readonly hash: string;
}

export interface LoadedPack {
  readonly dir: string;
  readonly source: PackSource;
  /** Undefined when pack.json is missing or invalid; then nothing of the pack is loaded. */
  readonly info: PackInfo | undefined;
  /** The templates that loaded, in file order. */
  readonly templates: readonly LoadedTemplate[];
  readonly partials: readonly PartialInfo[];
  readonly diagnostics: readonly TemplateDiagnostic[];
  /** Template files that did not load, with their id where it could be read. */
  readonly failed: readonly { readonly file: string; readonly id?: string }[];
}

export interface LoadPackOptions {
  /** The running Open AutoGLM version, checked against pack.json `engines.autoglm`. */
  readonly hostVersion?: string;
  readonly limits?: Partial<LoadLimits>;
}

export function hashText(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/** LF line endings and no byte-order mark, so hashes and line numbers agree across platforms. */
export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

function dedupe(diagnostics: TemplateDiagnostic[]): TemplateDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}:${d.line}:${d.severity}:${d.message}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

interface FoundFile {
  readonly file: string;
  readonly text: string;
}

/** Reads files of a pack, refusing links that leave it, special files and files over the size limit. */
class PackReader {
  readonly diagnostics: TemplateDiagnostic[] = [];

  constructor(
    private readonly realRoot: string,
    private readonly limits: LoadLimits,
  ) {}

  async read(file: string): Promise<FoundFile | undefined> {
    const outcome = await readPackFile(this.realRoot, file, this.limits.maxFileBytes);
    if (outcome.problem) {
      this.diagnostics.push(fileDiagnostic(file, outcome.problem));
      return undefined;
    }
    return { file, text: normalizeText(outcome.text) };
  }

  /** .hbs entries under `dir` that are not folders, sorted; at the pack root, partials/, tests/ and dot folders are skipped. */
  async list(dir: string, atRoot: boolean, out: string[] = []): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return out;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('.') || entry.name === 'node_modules') {
        continue;
      }
      if (entry.isDirectory()) {
        if (!(atRoot && (entry.name === PARTIALS_DIR || entry.name === TESTS_DIR))) {
          await this.list(full, false, out);
        }
      } else if (entry.name.endsWith(TEMPLATE_EXT)) {
        // Links and special files too, so that reading them reports why they are refused.
        out.push(full);
      }
    }
    return out;
  }
}

interface ParsedTemplate {
  readonly file: string;
  readonly text: string;
  readonly meta: TemplateMeta;
  readonly body: string;
  readonly program: hbs.AST.Program;
  readonly lineOffset: number;
}

type FailedTemplate = LoadedPack['failed'][number];

/** The problems of one load, in the order they are found, and the templates left out. */
class LoadProblems {
  readonly diagnostics: TemplateDiagnostic[];
  readonly failed: FailedTemplate[] = [];

  constructor(initial: readonly TemplateDiagnostic[]) {
    this.diagnostics = [...initial];
  }

  add(...diagnostics: readonly TemplateDiagnostic[]): void {
    this.diagnostics.push(...diagnostics);
  }

  fail(file: string, id?: string): void {
    this.failed.push({ file, ...(id !== undefined ? { id } : {}) });
  }

  /** Files with an error so far. */
  errorFiles(): Set<string> {
    return new Set(this.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file));
  }
}

/** The partials of a pack by name, from partials/ only, parsed but not yet compiled. */
interface PackPartials {
  readonly sources: Map<string, PartialSource>;
  readonly texts: Map<string, string>;
  readonly infos: PartialInfo[];
}

/** A refused or unreadable file as a diagnostic on its first line. */
export function fileDiagnostic(file: string, problem: FileProblem): TemplateDiagnostic {
  return { file, line: 1, severity: 'error', code: problem.code === 'missing' ? 'unreadable' : problem.code, message: problem.message };
}

function firstLine(err: unknown): string {
  return err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
}

/** pack.json, checked against the running version; no manifest means nothing of the pack loads. */
async function readManifest(root: string, realRoot: string, hostVersion: string): Promise<{ manifest?: PackManifest; diagnostics: TemplateDiagnostic[] }> {
  const manifestFile = path.join(root, MANIFEST_FILE);
  const outcome = await readPackFile(realRoot, manifestFile, MAX_MANIFEST_BYTES);
  if (outcome.problem?.code === 'missing') {
    return { manifest: undefined, diagnostics: [{ file: manifestFile, line: 1, severity: 'error', code: 'missing-manifest', message: `not a prompt pack: ${MANIFEST_FILE} is missing` }] };
  }
  if (outcome.problem) {
    return { manifest: undefined, diagnostics: [fileDiagnostic(manifestFile, outcome.problem)] };
  }
  return parseManifest(manifestFile, normalizeText(outcome.text), hostVersion);
}

async function readPartials(reader: PackReader, root: string, runtime: PackRuntime, problems: LoadProblems): Promise<PackPartials> {
  const partials: PackPartials = { sources: new Map(), texts: new Map(), infos: [] };
  const partialDir = path.join(root, PARTIALS_DIR);
  for (const file of await reader.list(partialDir, false)) {
    const rel = path.relative(partialDir, file);
    const name = rel.slice(0, -TEMPLATE_EXT.length);
    if (rel.includes(path.sep) || !PARTIAL_NAME.test(name)) {
      problems.add({ file, line: 1, severity: 'error', code: 'bad-partial-name', message: `partial file name '${rel}' is not usable: partials are partials/<name>.hbs with name of letters, digits, - and _` });
      continue;
    }
    const found = await reader.read(file);
    if (!found) {
      continue;
    }
    const outcome = parseSource((s) => runtime.parse(s), found.text, file, 0);
    if (outcome.diagnostic) {
      problems.add(outcome.diagnostic);
    }
    partials.sources.set(name, { name, file, program: outcome.program, lineOffset: 0 });
    partials.texts.set(name, found.text);
    partials.infos.push({ name, file, hash: hashText(found.text) });
  }
  return partials;
}

/** Each partial's own problems: unknown helpers, missing or too deeply nested partials. */
function checkPartials(partials: PackPartials, limits: LoadLimits): TemplateDiagnostic[] {
  return [...partials.sources.values()].flatMap((partial) =>
    partial.program
      ? analyzeTemplate({ file: partial.file, program: partial.program, lineOffset: 0, declared: null, partials: partials.sources, maxPartialDepth: limits.maxPartialDepth, partialName: partial.name }).diagnostics
      : [],
  );
}

/** One template file split into front matter and body, both parsed; undefined (and reported) when either fails. */
async function parseTemplateFile(reader: PackReader, file: string, runtime: PackRuntime, problems: LoadProblems): Promise<ParsedTemplate | undefined> {
  const found = await reader.read(file);
  if (!found) {
    problems.fail(file);
    return undefined;
  }
  const split = splitFrontMatter(found.text);
  if ('error' in split) {
    problems.add({ file, line: split.line, severity: 'error', code: 'bad-front-matter', message: split.error });
    problems.fail(file);
    return undefined;
  }
  const front = parseFrontMatter(file, split);
  const outcome = parseSource((s) => runtime.parse(s), split.body, file, split.bodyStartLine - 1);
  problems.add(...front.diagnostics);
  if (outcome.diagnostic) {
    problems.add(outcome.diagnostic);
  }
  if (!front.meta || !outcome.program) {
    problems.fail(file, front.id);
    return undefined;
  }
  return { file, text: found.text, meta: front.meta, body: split.body, program: outcome.program, lineOffset: split.bodyStartLine - 1 };
}

/** The template files of the pack, at most `maxTemplates` of them, in path order. */
async function readTemplates(reader: PackReader, root: string, runtime: PackRuntime, limits: LoadLimits, problems: LoadProblems): Promise<ParsedTemplate[]> {
  const files = await reader.list(root, true);
  if (files.length > limits.maxTemplates) {
    problems.add({ file: path.join(root, MANIFEST_FILE), line: 1, severity: 'error', code: 'too-many-templates', message: `pack has ${files.length} templates; only the first ${limits.maxTemplates} are loaded` });
  }
  const parsed: ParsedTemplate[] = [];
  for (const file of files.slice(0, limits.maxTemplates)) {
    const template = await parseTemplateFile(reader, file, runtime, problems);
    if (template) {
      parsed.push(template);
    }
  }
  return parsed;
}

function duplicateOf(t: ParsedTemplate, ids: Map<string, ParsedTemplate>, slashes: Map<string, ParsedTemplate>, root: string): TemplateDiagnostic | undefined {
  const first = ids.get(t.meta.id);
  if (first) {
    return {
      file: t.file,
      line: t.meta.keyLines['id'] ?? 2,
      severity: 'error',
      code: 'duplicate-id',
      message: `duplicate template id '${t.meta.id}': already defined in ${path.relative(root, first.file)}:${first.meta.keyLines['id'] ?? 2}`,
    };
  }
  const firstSlash = t.meta.slash !== undefined ? slashes.get(t.meta.slash) : undefined;
  if (firstSlash) {
    return {
      file: t.file,
      line: t.meta.keyLines['slash'] ?? 2,
      severity: 'error',
      code: 'duplicate-slash',
      message: `duplicate slash command '/${t.meta.slash}': already used by '${firstSlash.meta.id}' in ${path.relative(root, firstSlash.file)}`,
    };
  }
  return undefined;
}

/** Duplicate ids and slash commands inside the pack: the first file (in path order) keeps them. */
function dropDuplicates(parsed: readonly ParsedTemplate[], root: string, problems: LoadProblems): ParsedTemplate[] {
  const ids = new Map<string, ParsedTemplate>();
  const slashes = new Map<string, ParsedTemplate>();
  const unique: ParsedTemplate[] = [];
  for (const t of parsed) {
    const duplicate = duplicateOf(t, ids, slashes, root);
    if (duplicate) {
      problems.add(duplicate);
      problems.fail(t.file, t.meta.id);
      continue;
    }
    ids.set(t.meta.id, t);
    if (t.meta.slash !== undefined) {
      slashes.set(t.meta.slash, t);
    }
    unique.push(t);
  }
  return unique;
}

/**
 * The static checks of one template against its declared variables and the pack's partials;
 * true when it may be compiled. Unused variables are only warned about.
 */
function checkTemplate(t: ParsedTemplate, partials: PackPartials, limits: LoadLimits, root: string, problems: LoadProblems): boolean {
  const result = analyzeTemplate({
    file: t.file,
    program: t.program,
    lineOffset: t.lineOffset,
    declared: new Set(t.meta.variables.map((v) => v.name)),
    partials: partials.sources,
    maxPartialDepth: limits.maxPartialDepth,
    templateLabel: `template '${t.meta.id}'`,
  });
  problems.add(...result.diagnostics);
  if (result.diagnostics.length === 0) {
    for (const v of t.meta.variables) {
      if (!result.used.has(v.name)) {
        problems.add({ file: t.file, line: v.line, severity: 'warning', code: 'unused-variable', message: `variable '${v.name}' is declared but the template never uses it` });
      }
    }
    return true;
  }
  const elsewhere = result.diagnostics.filter((d) => d.file !== t.file);
  if (elsewhere.length === result.diagnostics.length) {
    const where = elsewhere.map((d) => `${path.relative(root, d.file)}:${d.line}`).join(', ');
    problems.add({ file: t.file, line: t.meta.keyLines['id'] ?? 2, severity: 'error', code: 'broken-partial', message: `template '${t.meta.id}' is not available: the partials it includes have errors (${where})` });
  }
  problems.fail(t.file, t.meta.id);
  return false;
}

/** Compiles a checked template once; its `render` resolves the variables and runs the compiled body. */
function compileTemplate(t: ParsedTemplate, info: PackInfo, runtime: PackRuntime, limits: LoadLimits, problems: LoadProblems): LoadedTemplate | undefined {
  let compiled: ReturnType<PackRuntime['compile']>;
  try {
    compiled = runtime.compile(t.body);
  } catch (err) {
    const line = (err as { lineNumber?: unknown }).lineNumber;
    problems.add({ file: t.file, line: typeof line === 'number' ? t.lineOffset + line : t.lineOffset + 1, severity: 'error', code: err instanceof RangeError ? 'too-complex' : 'compile', message: `template does not compile: ${firstLine(err)}` });
    problems.fail(t.file, t.meta.id);
    return undefined;
  }
  const { meta, file, lineOffset } = t;
  return {
    meta,
    file,
    pack: info,
    hash: hashText(t.text),
    render(input, renderOptions = {}) {
      const context = resolveVariables(meta, file, input);
      const text = runtime.render(compiled, context, {
        file,
        lineOffset,
        countTokens: renderOptions.countTokens,
        maxOutputChars: renderOptions.maxOutputChars ?? limits.maxOutputChars,
      });
      return { text, templateId: meta.id, params: meta.params };
    },
  };
}

/** Partials are compiled after the checks, so that a partial with errors is never registered. */
function registerPartials(runtime: PackRuntime, partials: PackPartials, broken: ReadonlySet<string>, problems: LoadProblems): void {
  for (const partial of partials.sources.values()) {
    if (!partial.program || broken.has(partial.file)) {
      continue;
    }
    try {
      runtime.registerPartial(partial.name, partial.file, runtime.compile(partials.texts.get(partial.name) ?? ''));
    } catch (err) {
      problems.add({ file: partial.file, line: 1, severity: 'error', code: 'compile', message: `partial does not compile: ${firstLine(err)}` });
    }
  }
}

/**
 * Loads one pack folder. Problems become diagnostics; a template with an error is left out and
 * the rest of the pack still loads. Never throws for anything inside the folder.
 */
export async function loadPack(dir: string, source: PackSource, options: LoadPackOptions = {}): Promise<LoadedPack> {
  const limits: LoadLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const root = path.resolve(dir);
  const realRoot = await realPackRoot(root);
  const { manifest, diagnostics } = await readManifest(root, realRoot, options.hostVersion ?? VERSION);
  if (!manifest) {
    return { dir: root, source, info: undefined, templates: [], partials: [], diagnostics, failed: [] };
  }
  const info: PackInfo = { ...manifest, dir: root, source };
  const reader = new PackReader(realRoot, limits);
  const problems = new LoadProblems(diagnostics);
  const runtime = new PackRuntime(limits.maxPartialDepth);
  const partials = await readPartials(reader, root, runtime, problems);
  problems.add(...checkPartials(partials, limits));
  // A partial is broken by its own errors; errors that depend on the including template are that template's.
  const brokenPartials = problems.errorFiles();
  const parsed = await readTemplates(reader, root, runtime, limits, problems);
  problems.add(...reader.diagnostics);
  const templates = dropDuplicates(parsed, root, problems).flatMap((t) => (checkTemplate(t, partials, limits, root, problems) ? (compileTemplate(t, info, runtime, limits, problems) ?? []) : []));
  registerPartials(runtime, partials, brokenPartials, problems);
  return { dir: root, source, info, templates, partials: partials.infos, diagnostics: dedupe(problems.diagnostics), failed: problems.failed };
}
