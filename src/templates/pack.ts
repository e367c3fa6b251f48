import { createHash } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../common/version';
import { analyzeTemplate, parseSource, PARTIAL_NAME, type PartialSource } from './analyze';
import { parseFrontMatter, splitFrontMatter } from './frontMatter';
import { MANIFEST_FILE, parseManifest } from './manifest';
import { PackRuntime } from './runtime';
import { resolveVariables } from './variables';
import {
  DEFAULT_LIMITS,
  type LoadLimits,
  type PackInfo,
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

/** Reads files of a pack, refusing links that leave it and files over the size limit. */
class PackReader {
  readonly diagnostics: TemplateDiagnostic[] = [];
  private realRoot = '';

  constructor(
    private readonly root: string,
    private readonly limits: LoadLimits,
  ) {}

  async init(): Promise<void> {
    this.realRoot = await fs.realpath(this.root);
  }

  private inside(real: string): boolean {
    const rel = path.relative(this.realRoot, real);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  }

  async read(file: string): Promise<FoundFile | undefined> {
    try {
      const real = await fs.realpath(file);
      if (!this.inside(real)) {
        this.diagnostics.push({ file, line: 1, severity: 'error', code: 'outside-pack', message: 'this file is a link to a file outside the pack; packs may only use their own files' });
        return undefined;
      }
      const stat = await fs.stat(real);
      if (stat.size > this.limits.maxFileBytes) {
        this.diagnostics.push({ file, line: 1, severity: 'error', code: 'file-too-large', message: `file is ${stat.size} bytes, over the limit of ${this.limits.maxFileBytes}` });
        return undefined;
      }
      return { file, text: normalizeText(await fs.readFile(real, 'utf8')) };
    } catch (err) {
      this.diagnostics.push({ file, line: 1, severity: 'error', code: 'unreadable', message: `cannot read file: ${err instanceof Error ? err.message : String(err)}` });
      return undefined;
    }
  }

  /** .hbs files under `dir`, sorted; at the pack root, partials/, tests/ and dot folders are skipped. */
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
      } else if ((entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(TEMPLATE_EXT)) {
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

/**
 * Loads one pack folder. Problems become diagnostics; a template with an error is left out and
 * the rest of the pack still loads. Never throws for anything inside the folder.
 */
export async function loadPack(dir: string, source: PackSource, options: LoadPackOptions = {}): Promise<LoadedPack> {
  const limits: LoadLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const root = path.resolve(dir);
  const empty = (diagnostics: TemplateDiagnostic[]): LoadedPack => ({ dir: root, source, info: undefined, templates: [], partials: [], diagnostics, failed: [] });
  const manifestFile = path.join(root, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = normalizeText(await fs.readFile(manifestFile, 'utf8'));
  } catch {
    return empty([{ file: manifestFile, line: 1, severity: 'error', code: 'missing-manifest', message: `not a prompt pack: ${MANIFEST_FILE} is missing` }]);
  }
  const { manifest, diagnostics: manifestDiagnostics } = parseManifest(manifestFile, manifestText, options.hostVersion ?? VERSION);
  if (!manifest) {
    return empty(manifestDiagnostics);
  }
  const info: PackInfo = { ...manifest, dir: root, source };
  const reader = new PackReader(root, limits);
  await reader.init();
  const diagnostics: TemplateDiagnostic[] = [...manifestDiagnostics];
  const runtime = new PackRuntime(limits.maxPartialDepth);

  // Partials: by file name, from partials/ only.
  const partialSources = new Map<string, PartialSource>();
  const partialInfos: PartialInfo[] = [];
  const partialTexts = new Map<string, string>();
  const partialDir = path.join(root, PARTIALS_DIR);
  for (const file of await reader.list(partialDir, false)) {
    const rel = path.relative(partialDir, file);
    const name = rel.slice(0, -TEMPLATE_EXT.length);
    if (rel.includes(path.sep) || !PARTIAL_NAME.test(name)) {
      diagnostics.push({ file, line: 1, severity: 'error', code: 'bad-partial-name', message: `partial file name '${rel}' is not usable: partials are partials/<name>.hbs with name of letters, digits, - and _` });
      continue;
    }
    const found = await reader.read(file);
    if (!found) {
      continue;
    }
    const outcome = parseSource((s) => runtime.parse(s), found.text, file, 0);
    if (outcome.diagnostic) {
      diagnostics.push(outcome.diagnostic);
    }
    partialSources.set(name, { name, file, program: outcome.program, lineOffset: 0 });
    partialTexts.set(name, found.text);
    partialInfos.push({ name, file, hash: hashText(found.text) });
  }
  for (const partial of partialSources.values()) {
    if (partial.program) {
      diagnostics.push(
        ...analyzeTemplate({ file: partial.file, program: partial.program, lineOffset: 0, declared: null, partials: partialSources, maxPartialDepth: limits.maxPartialDepth, partialName: partial.name }).diagnostics,
      );
    }
  }

  // A partial is broken by its own errors; errors that depend on the including template are that template's.
  const brokenPartials = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.file));

  // Templates.
  const failed: { file: string; id?: string }[] = [];
  const parsed: ParsedTemplate[] = [];
  const files = await reader.list(root, true);
  if (files.length > limits.maxTemplates) {
    diagnostics.push({ file: manifestFile, line: 1, severity: 'error', code: 'too-many-templates', message: `pack has ${files.length} templates; only the first ${limits.maxTemplates} are loaded` });
  }
  for (const file of files.slice(0, limits.maxTemplates)) {
    const found = await reader.read(file);
    if (!found) {
      failed.push({ file });
      continue;
    }
    const split = splitFrontMatter(found.text);
    if ('error' in split) {
      diagnostics.push({ file, line: split.line, severity: 'error', code: 'bad-front-matter', message: split.error });
      failed.push({ file });
      continue;
    }
    const front = parseFrontMatter(file, split);
    const outcome = parseSource((s) => runtime.parse(s), split.body, file, split.bodyStartLine - 1);
    diagnostics.push(...front.diagnostics);
    if (outcome.diagnostic) {
      diagnostics.push(outcome.diagnostic);
    }
    if (!front.meta || !outcome.program) {
      failed.push({ file, ...(front.id !== undefined ? { id: front.id } : {}) });
      continue;
    }
    parsed.push({ file, text: found.text, meta: front.meta, body: split.body, program: outcome.program, lineOffset: split.bodyStartLine - 1 });
  }
  diagnostics.push(...reader.diagnostics);

  // Duplicate ids and slash commands inside the pack: the first file (in path order) keeps them.
  const ids = new Map<string, ParsedTemplate>();
  const slashes = new Map<string, ParsedTemplate>();
  const unique: ParsedTemplate[] = [];
  for (const t of parsed) {
    const first = ids.get(t.meta.id);
    const firstSlash = t.meta.slash !== undefined ? slashes.get(t.meta.slash) : undefined;
    if (first) {
      diagnostics.push({
        file: t.file,
        line: t.meta.keyLines['id'] ?? 2,
        severity: 'error',
        code: 'duplicate-id',
        message: `duplicate template id '${t.meta.id}': already defined in ${path.relative(root, first.file)}:${first.meta.keyLines['id'] ?? 2}`,
      });
    } else if (firstSlash) {
      diagnostics.push({
        file: t.file,
        line: t.meta.keyLines['slash'] ?? 2,
        severity: 'error',
        code: 'duplicate-slash',
        message: `duplicate slash command '/${t.meta.slash}': already used by '${firstSlash.meta.id}' in ${path.relative(root, firstSlash.file)}`,
      });
    } else {
      ids.set(t.meta.id, t);
      if (t.meta.slash !== undefined) {
        slashes.set(t.meta.slash, t);
      }
      unique.push(t);
      continue;
    }
    failed.push({ file: t.file, id: t.meta.id });
  }

  // Static checks, then one compile per template.
  const templates: LoadedTemplate[] = [];
  for (const t of unique) {
    const declared = new Set(t.meta.variables.map((v) => v.name));
    const result = analyzeTemplate({
      file: t.file,
      program: t.program,
      lineOffset: t.lineOffset,
      declared,
      partials: partialSources,
      maxPartialDepth: limits.maxPartialDepth,
      templateLabel: `template '${t.meta.id}'`,
    });
    diagnostics.push(...result.diagnostics);
    for (const v of result.diagnostics.length > 0 ? [] : t.meta.variables) {
      if (!result.used.has(v.name)) {
        diagnostics.push({ file: t.file, line: v.line, severity: 'warning', code: 'unused-variable', message: `variable '${v.name}' is declared but the template never uses it` });
      }
    }
    if (result.diagnostics.length > 0) {
      const elsewhere = result.diagnostics.filter((d) => d.file !== t.file);
      if (elsewhere.length === result.diagnostics.length) {
        const where = elsewhere.map((d) => `${path.relative(root, d.file)}:${d.line}`).join(', ');
        diagnostics.push({ file: t.file, line: t.meta.keyLines['id'] ?? 2, severity: 'error', code: 'broken-partial', message: `template '${t.meta.id}' is not available: the partials it includes have errors (${where})` });
      }
      failed.push({ file: t.file, id: t.meta.id });
      continue;
    }
    let compiled: ReturnType<PackRuntime['compile']>;
    try {
      compiled = runtime.compile(t.body);
    } catch (err) {
      const line = (err as { lineNumber?: unknown }).lineNumber;
      diagnostics.push({
        file: t.file,
        line: typeof line === 'number' ? t.lineOffset + line : t.lineOffset + 1,
        severity: 'error',
        code: 'compile',
        message: `template does not compile: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      });
      failed.push({ file: t.file, id: t.meta.id });
      continue;
    }
    const meta = t.meta;
    const file = t.file;
    const lineOffset = t.lineOffset;
    templates.push({
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
    });
  }

  // Partials are compiled after the checks, so that a partial with errors is never registered.
  for (const partial of partialSources.values()) {
    if (!partial.program || brokenPartials.has(partial.file)) {
      continue;
    }
    try {
      runtime.registerPartial(partial.name, partial.file, runtime.compile(partialTexts.get(partial.name) ?? ''));
    } catch (err) {
      diagnostics.push({ file: partial.file, line: 1, severity: 'error', code: 'compile', message: `partial does not compile: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` });
    }
  }

  return { dir: root, source, info, templates, partials: partialInfos, diagnostics: dedupe(diagnostics), failed };
}
