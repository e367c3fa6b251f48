/**
 * The workspace index in memory: each file's chunks (searchable with BM25) and definitions
 * (by name). Files come and go one at a time (`put`, `remove`), so that a change on disk costs
 * the one file. Bounded: past `maxChunks` or `maxChars` of chunk text new files are refused and
 * the status says so; what is in stays searchable.
 */
import { LexicalIndex } from './lexicalIndex';
import type { CodebaseSearch, CodeChunk, CodeSearchHit, FileOutline, IndexStatus, SymbolDefinition, SymbolKind } from './types';

/** What the index remembers of a file on disk, to know later whether it changed. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface IndexedFile extends FileStamp {
  path: string;
  outline: FileOutline;
}

export interface IndexLimits {
  /** Most chunks held. Default: 200,000. */
  maxChunks?: number;
  /** Most characters of chunk text held (about memory: twice this in bytes, plus the index). Default: 64,000,000. */
  maxChars?: number;
}

interface Entry extends FileStamp {
  chunkIds: number[];
  definitions: SymbolDefinition[];
  chars: number;
  cutBy: FileOutline['cutBy'];
}

/** Definitions a prompt is most likely to want first when several share a name. */
const KIND_ORDER: readonly SymbolKind[] = ['function', 'class', 'interface', 'type', 'struct', 'trait', 'enum', 'method', 'macro', 'variable', 'module'];

export class WorkspaceIndex implements CodebaseSearch {
  private readonly files = new Map<string, Entry>();
  private readonly chunks = new Map<number, CodeChunk>();
  private readonly byName = new Map<string, SymbolDefinition[]>();
  private readonly lexical = new LexicalIndex();
  private nextId = 1;
  private chars = 0;
  private building = false;
  private refused = 0;
  private readonly maxChunks: number;
  private readonly maxChars: number;

  constructor(limits: IndexLimits = {}) {
    this.maxChunks = limits.maxChunks ?? 200_000;
    this.maxChars = limits.maxChars ?? 64_000_000;
  }

  /** Adds or replaces a file. Returns false when the limits leave no room for it (it is then not in the index). */
  put(file: IndexedFile): boolean {
    const entry = this.begin(file);
    if (!entry) return false;
    for (const chunk of file.outline.chunks) entry.chunkIds.push(this.addChunk(chunk));
    return true;
  }

  /**
   * `put`, with `pause()` awaited between chunks whenever it wants: a large file's chunks cost
   * tens of milliseconds of tokenising, which a keystroke should not wait for. The file's
   * definitions are there at once, its chunks join the search as they are added.
   */
  async putInSlices(file: IndexedFile, pause: () => Promise<void>): Promise<boolean> {
    const entry = this.begin(file);
    if (!entry) return false;
    for (const chunk of file.outline.chunks) {
      if (this.files.get(file.path) !== entry) return false;
      entry.chunkIds.push(this.addChunk(chunk));
      await pause();
    }
    return true;
  }

  /** Replaces the file's entry by an empty one with its definitions, or refuses it past the limits. */
  private begin(file: IndexedFile): Entry | undefined {
    this.remove(file.path);
    const chars = file.outline.chunks.reduce((n, c) => n + c.text.length, 0);
    if (this.chunks.size + file.outline.chunks.length > this.maxChunks || this.chars + chars > this.maxChars) {
      this.refused++;
      return undefined;
    }
    for (const def of file.outline.definitions) this.addDefinition(def);
    const entry: Entry = { size: file.size, mtimeMs: file.mtimeMs, chunkIds: [], definitions: file.outline.definitions, chars, cutBy: file.outline.cutBy };
    this.files.set(file.path, entry);
    this.chars += chars;
    return entry;
  }

  remove(path: string): void {
    const entry = this.files.get(path);
    if (!entry) return;
    for (const id of entry.chunkIds) {
      this.lexical.remove(id);
      this.chunks.delete(id);
    }
    for (const def of entry.definitions) this.removeDefinition(def);
    this.chars -= entry.chars;
    this.files.delete(path);
  }

  /** True when the index holds `path` as it was with this size and modification time. */
  isCurrent(path: string, stamp: FileStamp): boolean {
    const entry = this.files.get(path);
    return entry !== undefined && entry.size === stamp.size && entry.mtimeMs === stamp.mtimeMs;
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  /** A file as `put` took it, for saving the index. */
  file(path: string): IndexedFile | undefined {
    const entry = this.files.get(path);
    if (!entry) return undefined;
    const chunks = entry.chunkIds.map((id) => this.chunks.get(id)!);
    return { path, size: entry.size, mtimeMs: entry.mtimeMs, outline: { chunks, definitions: entry.definitions, cutBy: entry.cutBy } };
  }

  setBuilding(building: boolean): void {
    this.building = building;
  }

  search(query: string, limit: number): CodeSearchHit[] {
    return this.lexical.query(query, limit).flatMap((hit) => {
      const chunk = this.chunks.get(hit.id);
      return chunk ? [{ ...chunk, score: hit.score }] : [];
    });
  }

  definitions(name: string): SymbolDefinition[] {
    return [...(this.byName.get(name) ?? [])].sort(byKindThenTopLevel);
  }

  status(): { status: IndexStatus; files: number } {
    return { status: this.building ? 'building' : 'ready', files: this.files.size };
  }

  /** Files the limits kept out since the index was made. */
  get refusedFiles(): number {
    return this.refused;
  }

  get chunkCount(): number {
    return this.chunks.size;
  }

  private addChunk(chunk: CodeChunk): number {
    const id = this.nextId++;
    this.chunks.set(id, chunk);
    this.lexical.add(id, chunk);
    return id;
  }

  private addDefinition(def: SymbolDefinition): void {
    const list = this.byName.get(def.name);
    if (list) list.push(def);
    else this.byName.set(def.name, [def]);
  }

  private removeDefinition(def: SymbolDefinition): void {
    const list = this.byName.get(def.name);
    if (!list) return;
    const rest = list.filter((d) => d !== def);
    if (rest.length > 0) this.byName.set(def.name, rest);
    else this.byName.delete(def.name);
  }
}

function byKindThenTopLevel(a: SymbolDefinition, b: SymbolDefinition): number {
  const kind = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  if (kind !== 0) return kind;
  const nested = Number(a.container !== undefined) - Number(b.container !== undefined);
  return nested !== 0 ? nested : a.path.localeCompare(b.path) || a.startLine - b.startLine;
}
