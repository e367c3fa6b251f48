/**
 * find_definition and find_references' shared part: where in the workspace a symbol occurs (in
 * the given file, else where the workspace symbol search puts it), asking a language provider
 * there, and the answer as `path:line: text`. Text is shown only for workspace files.
 */
import * as vscode from 'vscode';
import { ToolInputError } from '../../agent/types';
import { capText } from './outputCap';
import { symbolName, wordOffsets } from './symbolName';
import type { ToolContext } from './toolContext';
import { displayPath, resolveWorkspacePath, type WorkspaceRoot } from './workspacePath';
import { readWorkspaceText } from './workspaceText';

/** Occurrences of a name tried with the provider before giving up (the first may be in a comment). */
const MAX_PROBES = 12;

export type SymbolCommand = 'vscode.executeDefinitionProvider' | 'vscode.executeReferenceProvider';

async function workspaceDocument(roots: readonly WorkspaceRoot[], absolute: string, maxBytes: number): Promise<vscode.TextDocument> {
  const target = resolveWorkspacePath(roots, absolute);
  const read = await readWorkspaceText(target, maxBytes);
  if (read.kind !== 'text' || read.partial) {
    throw new ToolInputError(`${target.display} is ${read.kind === 'missing' ? 'missing' : read.kind === 'binary' ? 'a binary file' : 'too large to search for symbols'}.`);
  }
  return vscode.workspace.openTextDocument(vscode.Uri.file(target.absolute));
}

/** Where to ask: occurrences in `path`, else in the files the workspace symbol search names for `symbol`. */
async function probes(context: ToolContext, symbol: string, path: string | undefined, signal: AbortSignal): Promise<vscode.Location[]> {
  const roots = context.roots();
  if (path !== undefined) {
    const doc = await workspaceDocument(roots, resolveWorkspacePath(roots, path).absolute, context.limits.readMaxBytes);
    const offsets = wordOffsets(doc.getText(), symbol, 0, MAX_PROBES);
    if (offsets.length === 0) {
      throw new ToolInputError(`\`${symbol}\` does not occur in ${displayPath(roots, doc.uri.fsPath) ?? path}; search_text finds the files that use it.`);
    }
    return offsets.map((at) => new vscode.Location(doc.uri, doc.positionAt(at)));
  }
  signal.throwIfAborted();
  const symbols = await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', symbol);
  // TypeScript names functions and methods `name()` in this search.
  const exact = (symbols ?? []).filter((s) => s.name.replace(/\(\)$/, '') === symbol && s.location.uri.scheme === 'file' && displayPath(roots, s.location.uri.fsPath) !== undefined);
  const located: vscode.Location[] = [];
  for (const s of exact.slice(0, MAX_PROBES)) {
    const doc = await workspaceDocument(roots, s.location.uri.fsPath, context.limits.readMaxBytes);
    const [at] = wordOffsets(doc.getText(), symbol, doc.offsetAt(s.location.range.start), 1);
    located.push(new vscode.Location(doc.uri, at === undefined ? s.location.range.start : doc.positionAt(at)));
  }
  return located;
}

function asLocation(found: vscode.Location | vscode.LocationLink): vscode.Location {
  return 'targetUri' in found ? new vscode.Location(found.targetUri, found.targetSelectionRange ?? found.targetRange) : found;
}

/** Each provider's answer at the probes, until one gives any. */
async function ask(command: SymbolCommand, at: readonly vscode.Location[]): Promise<vscode.Location[]> {
  for (const probe of at) {
    const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[] | undefined>(command, probe.uri, probe.range.start);
    if (found && found.length > 0) {
      return found.map(asLocation);
    }
  }
  return [];
}

/** The trimmed text of lines of workspace files, each file read once. */
class LineReader {
  private readonly files = new Map<string, Promise<string[] | undefined>>();

  constructor(
    private readonly roots: readonly WorkspaceRoot[],
    private readonly maxBytes: number,
  ) {}

  async line(location: vscode.Location): Promise<string | undefined> {
    if (location.uri.scheme !== 'file' || displayPath(this.roots, location.uri.fsPath) === undefined) {
      return undefined;
    }
    const path = location.uri.fsPath;
    let lines = this.files.get(path);
    if (!lines) {
      lines = this.read(path);
      this.files.set(path, lines);
    }
    return (await lines)?.[location.range.start.line]?.trim();
  }

  private async read(path: string): Promise<string[] | undefined> {
    try {
      const read = await readWorkspaceText(resolveWorkspacePath(this.roots, path), this.maxBytes);
      return read.kind === 'text' ? read.text.split(/\r?\n/) : undefined;
    } catch {
      return undefined;
    }
  }
}

function uniqueSorted(locations: vscode.Location[]): vscode.Location[] {
  const key = (l: vscode.Location): string => `${l.uri.toString()}#${String(l.range.start.line).padStart(9, '0')}`;
  const byKey = new Map(locations.map((l) => [key(l), l]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/** `path:line: text` for each location the provider gives for `symbol`, or a note that there is none. */
export async function symbolLocations(context: ToolContext, command: SymbolCommand, rawSymbol: string, path: string | undefined, signal: AbortSignal): Promise<string> {
  const symbol = symbolName(rawSymbol);
  const what = command === 'vscode.executeDefinitionProvider' ? 'definition' : 'reference';
  const at = await probes(context, symbol, path, signal);
  if (at.length === 0) {
    return `The workspace symbol search knows no symbol named \`${symbol}\`; give \`path\`, a file that uses it (search_text finds one).`;
  }
  signal.throwIfAborted();
  const found = uniqueSorted(await ask(command, at));
  if (found.length === 0) {
    return `No ${what} of \`${symbol}\` found; the language's extension may not support this file, or it is still loading.`;
  }
  const roots = context.roots();
  const shown = found.slice(0, context.limits.symbolMaxResults);
  const reader = new LineReader(roots, context.limits.readMaxBytes);
  const lines: string[] = [];
  for (const location of shown) {
    signal.throwIfAborted();
    const where = `${displayPath(roots, location.uri.fsPath) ?? location.uri.fsPath}:${location.range.start.line + 1}`;
    const text = await reader.line(location);
    lines.push(text === undefined ? `${where} (outside the workspace)` : `${where}: ${text}`);
  }
  const note = shown.length < found.length ? `\n[the first ${shown.length} of ${found.length} ${what}s]` : '';
  return capText(lines.join('\n') + note, context.limits.resultMaxChars, (n) => `[${n} more characters of ${what}s left out]`);
}
