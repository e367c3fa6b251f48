/**
 * Outlines source files with tree-sitter: chunks along the syntax and the symbols they define.
 * Grammars are loaded once, in `create`, so `outline` is synchronous. Workspace files are hostile:
 * a file over the size cap or a parse over the time cap is cut into line windows, and nothing a
 * file contains makes `outline` throw.
 *
 * Failures: if the tree-sitter runtime cannot load, `create` throws a SyntaxLoadError (nothing
 * can be parsed); if one grammar cannot load, `create` still succeeds, the failure is in
 * `grammarProblems` (report it once), and files of that language are cut by lines with the
 * reason 'grammar-unavailable'.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { AutoGlmError, errorMessage } from '../common/errors';
import { chunkTree, DEFAULT_CHUNK_LINES, lineChunks } from './chunker';
import { findDefinitions } from './definitions';
import { GRAMMARS, grammarOf, type GrammarName } from './languages';
import { outlineWithRecovery, type ParsedOutline } from './recovery';
import type { FileOutline, LineCutReason, SourceFile } from './types';

/** Where the tree-sitter runtime and the grammar files are. */
export interface SyntaxAssets {
  /** Path of `web-tree-sitter.wasm`. */
  runtimeWasm: string;
  /** Folder holding `tree-sitter-<grammar>.wasm` files. */
  grammarDir: string;
}

export interface SyntaxOptions {
  /** Files longer than this are cut by lines, unparsed (unit: UTF-16 characters). Default: 1,000,000. */
  maxChars?: number;
  /** A parse that runs longer is abandoned and the file cut by lines (unit: milliseconds). Default: 200. */
  parseTimeoutMs?: number;
  /** Most lines of a syntax chunk, and the size of a line window (unit: lines). Default: 50. */
  chunkLines?: number;
  /** Which grammars to load. Default: all eight. */
  grammars?: readonly GrammarName[];
}

export const DEFAULT_MAX_CHARS = 1_000_000;
export const DEFAULT_PARSE_TIMEOUT_MS = 200;

export class SyntaxLoadError extends AutoGlmError {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, 'syntax-load', options);
  }
}

/** The assets the extension ships in `dist/grammars/` (runtime and grammars side by side). */
export function syntaxAssetsIn(dir: string): SyntaxAssets {
  return { runtimeWasm: path.join(dir, 'web-tree-sitter.wasm'), grammarDir: dir };
}

export function grammarFile(dir: string, grammar: GrammarName): string {
  return path.join(dir, `tree-sitter-${grammar}.wasm`);
}

/** What Parser.init fills in: the emscripten module, whose heap tells wasm memory use. */
interface RuntimeModule {
  locateFile: (file: string) => string;
  HEAPU8?: Uint8Array;
}

/**
 * The runtime is one wasm instance per process (web-tree-sitter keeps it in a module global), so
 * it is initialised once, from the first assets given; grammars are cached per file for the same reason.
 */
let runtime: Promise<RuntimeModule> | undefined;
const languages = new Map<string, Promise<Language>>();

function loadRuntime(wasm: string): Promise<RuntimeModule> {
  if (runtime === undefined) {
    const module: RuntimeModule = { locateFile: (file) => (file === 'web-tree-sitter.wasm' ? wasm : path.join(path.dirname(wasm), file)) };
    runtime = Parser.init(module).then(
      () => module,
      (err: unknown) => {
        runtime = undefined;
        throw new SyntaxLoadError(wasm, `the tree-sitter runtime did not load: ${errorMessage(err)}`, { cause: err });
      },
    );
  }
  return runtime;
}

function loadLanguage(file: string): Promise<Language> {
  let language = languages.get(file);
  if (language === undefined) {
    language = readFile(file).then((bytes) => Language.load(bytes));
    languages.set(file, language);
    language.catch(() => languages.delete(file));
  }
  return language;
}

export class SyntaxOutliner {
  private disposed = false;

  private constructor(
    private readonly module: RuntimeModule,
    private readonly parser: Parser,
    private readonly grammars: ReadonlyMap<GrammarName, Language>,
    /** Grammars that failed to load, one error each. */
    readonly grammarProblems: readonly SyntaxLoadError[],
    private readonly options: Required<Omit<SyntaxOptions, 'grammars'>>,
  ) {}

  static async create(assets: SyntaxAssets, options: SyntaxOptions = {}): Promise<SyntaxOutliner> {
    const module = await loadRuntime(assets.runtimeWasm);
    const grammars = new Map<GrammarName, Language>();
    const problems: SyntaxLoadError[] = [];
    for (const grammar of options.grammars ?? GRAMMARS) {
      const file = grammarFile(assets.grammarDir, grammar);
      try {
        grammars.set(grammar, await loadLanguage(file));
      } catch (err) {
        problems.push(new SyntaxLoadError(file, `the ${grammar} grammar did not load: ${errorMessage(err)}`, { cause: err }));
      }
    }
    return new SyntaxOutliner(module, new Parser(), grammars, problems, {
      maxChars: options.maxChars ?? DEFAULT_MAX_CHARS,
      parseTimeoutMs: options.parseTimeoutMs ?? DEFAULT_PARSE_TIMEOUT_MS,
      chunkLines: options.chunkLines ?? DEFAULT_CHUNK_LINES,
    });
  }

  /** Chunks and definitions of a file; cut by lines (with the reason) when no grammar can. */
  outline(file: SourceFile): FileOutline {
    return outlineWithRecovery(file, (part) => this.outlineOnce(part));
  }

  private outlineOnce(file: SourceFile): ParsedOutline {
    const grammar = grammarOf(file.languageId);
    if (grammar === undefined) {
      return this.byLines(file, 'no-grammar');
    }
    const language = this.grammars.get(grammar);
    if (language === undefined || this.disposed) {
      return this.byLines(file, 'grammar-unavailable');
    }
    if (file.text.length > this.options.maxChars) {
      return this.byLines(file, 'too-large');
    }
    let tree: Tree | null = null;
    try {
      tree = this.parse(language, file.text);
      if (tree === null) {
        return this.byLines(file, 'timeout');
      }
      const definitions = findDefinitions(tree.rootNode, file, grammar);
      const chunks = chunkTree(tree.rootNode, file, definitions, { maxLines: this.options.chunkLines });
      return { chunks, definitions, cutBy: 'syntax', ...(tree.rootNode.hasError ? { syntaxErrors: true } : {}) };
    } catch {
      // A fault inside the parser or the walk is a fact about this file; the next file still parses.
      this.parser.reset();
      return this.byLines(file, 'parse-failed');
    } finally {
      tree?.delete();
    }
  }

  /** Bytes of wasm memory the runtime holds now; it never shrinks, so this is also its peak. */
  wasmMemoryBytes(): number {
    return this.module.HEAPU8?.byteLength ?? 0;
  }

  dispose(): void {
    if (!this.disposed) {
      this.disposed = true;
      this.parser.delete();
    }
  }

  /** The tree, or null when the parse ran past the time cap (the parser is then reset for the next file). */
  private parse(language: Language, text: string): Tree | null {
    this.parser.setLanguage(language);
    const deadline = performance.now() + this.options.parseTimeoutMs;
    // The callback's return value cancels the parse, though the typings declare it void.
    const progressCallback = ((): boolean => performance.now() >= deadline) as () => void;
    const tree = this.parser.parse(text, null, { progressCallback });
    if (tree === null) {
      this.parser.reset();
    }
    return tree;
  }

  private byLines(file: SourceFile, reason: LineCutReason): FileOutline {
    return { chunks: lineChunks(file, this.options.chunkLines), definitions: [], cutBy: 'lines', reason };
  }
}
