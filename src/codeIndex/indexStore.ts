/**
 * The index saved to disk, so that a window reload does not cut every file again: one JSON file
 * of each file's stamp, chunks and definitions, written whole to a temporary name and renamed.
 * What is read back is checked field by field (the file lives in the user's storage, but a
 * half-written or foreign file must cost a rebuild, never a crash); the search index itself is
 * rebuilt from the chunks, which needs no parsing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { IndexedFile } from './workspaceIndex';
import type { CodeChunk, SymbolDefinition, SymbolKind } from './types';

export const INDEX_FILE_FORMAT = 'autoglm-workspace-index';
export const INDEX_FILE_VERSION = 1;

/** A saved index larger than this is not read (a rebuild is cheaper than the memory). */
const MAX_STORE_BYTES = 512 * 1024 * 1024;

export interface SavedIndex {
  /** Identifies how files were cut: a different outliner means different chunks, so a rebuild. */
  outliner: string;
  /** The folder indexed; a saved index of another folder is not used. */
  root: string;
  files: IndexedFile[];
}

export async function saveIndex(file: string, saved: SavedIndex): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify({ format: INDEX_FILE_FORMAT, version: INDEX_FILE_VERSION, ...saved }));
  await fs.rename(tmp, file);
}

/** The saved index, or undefined (with the reason) when there is none usable for this outliner and folder. */
export async function loadIndex(file: string, expect: { outliner: string; root: string }): Promise<{ saved?: SavedIndex; reason?: string }> {
  let text: string;
  try {
    const stat = await fs.lstat(file);
    if (!stat.isFile()) return { reason: 'not a regular file' };
    if (stat.size > MAX_STORE_BYTES) return { reason: `larger than ${MAX_STORE_BYTES} bytes` };
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { reason: 'no saved index' };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { reason: 'not JSON' };
  }
  return validSaved(data, expect);
}

function validSaved(data: unknown, expect: { outliner: string; root: string }): { saved?: SavedIndex; reason?: string } {
  if (!isRecord(data) || data.format !== INDEX_FILE_FORMAT) return { reason: 'not a saved index' };
  if (data.version !== INDEX_FILE_VERSION) return { reason: `version ${String(data.version)}, expected ${INDEX_FILE_VERSION}` };
  if (data.outliner !== expect.outliner) return { reason: 'cut by another outliner' };
  if (data.root !== expect.root) return { reason: 'saved for another folder' };
  if (!Array.isArray(data.files)) return { reason: 'no file list' };
  const files: IndexedFile[] = [];
  for (const entry of data.files as unknown[]) {
    if (!isIndexedFile(entry)) return { reason: 'a malformed file entry' };
    files.push(entry);
  }
  return { saved: { outliner: expect.outliner, root: expect.root, files } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A relative path with forward slashes that stays inside the folder. */
export function isInsidePath(p: unknown): p is string {
  return typeof p === 'string' && p.length > 0 && p.length < 4096 && !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..') && !p.includes('\0');
}

const isLine = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function isChunk(v: unknown, filePath: string): v is CodeChunk {
  return isRecord(v) && v.path === filePath && isLine(v.startLine) && isLine(v.endLine) && typeof v.text === 'string' && Array.isArray(v.symbols) && v.symbols.every((s) => typeof s === 'string');
}

const KINDS: ReadonlySet<SymbolKind> = new Set(['function', 'method', 'class', 'interface', 'type', 'enum', 'variable', 'module', 'struct', 'trait', 'macro']);

function isDefinition(v: unknown, filePath: string): v is SymbolDefinition {
  return (
    isRecord(v) &&
    v.path === filePath &&
    typeof v.name === 'string' &&
    KINDS.has(v.kind as SymbolKind) &&
    isLine(v.startLine) &&
    isLine(v.endLine) &&
    typeof v.text === 'string' &&
    (v.container === undefined || typeof v.container === 'string')
  );
}

function isIndexedFile(v: unknown): v is IndexedFile {
  if (!isRecord(v) || !isInsidePath(v.path) || typeof v.size !== 'number' || typeof v.mtimeMs !== 'number' || !isRecord(v.outline)) return false;
  const { chunks, definitions, cutBy } = v.outline;
  const p = v.path;
  return Array.isArray(chunks) && chunks.every((c) => isChunk(c, p)) && Array.isArray(definitions) && definitions.every((d) => isDefinition(d, p)) && (cutBy === 'syntax' || cutBy === 'lines');
}
