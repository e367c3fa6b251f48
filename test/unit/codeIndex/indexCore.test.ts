import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IndexBuilder, type Outliner } from '../../../src/codeIndex/indexBuilder';
import { admits, walkFiles, type WalkSummary } from '../../../src/codeIndex/fileWalker';
import { loadIndex, saveIndex } from '../../../src/codeIndex/indexStore';
import { codeTerms, wordParts } from '../../../src/codeIndex/terms';
import { WorkspaceIndex, type IndexedFile } from '../../../src/codeIndex/workspaceIndex';
import type { FileOutline, SourceFile } from '../../../src/codeIndex/types';

/** A line-window outliner with `function name` definitions: enough to test the index around it. */
class CountingOutliner implements Outliner {
  readonly id = 'test-lines-1';
  readonly cut: string[] = [];
  outline(file: SourceFile): FileOutline {
    this.cut.push(file.path);
    const lines = file.text.split('\n');
    const chunks = [];
    for (let start = 0; start < lines.length; start += 20) {
      const text = lines.slice(start, start + 20).join('\n');
      chunks.push({ path: file.path, startLine: start, endLine: Math.min(lines.length, start + 20) - 1, text, symbols: [...text.matchAll(/function (\w+)/g)].map((m) => m[1]!) });
    }
    const definitions = lines.flatMap((line, n) => [...line.matchAll(/function (\w+)/g)].map((m) => ({ name: m[1]!, kind: 'function' as const, path: file.path, startLine: n, endLine: n, text: line })));
    return { chunks, definitions, cutBy: 'lines' };
  }
}

const languageOf = (p: string): string | undefined => (p.endsWith('.ts') ? 'typescript' : undefined);

async function tempTree(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-index-'));
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), text);
  }
  return root;
}

async function walked(root: string, options: Partial<Parameters<typeof walkFiles>[1]> = {}, summary?: WalkSummary): Promise<string[]> {
  const out: string[] = [];
  for await (const f of walkFiles(root, { accept: (p) => languageOf(p) !== undefined, ...options }, summary)) out.push(f.path);
  return out;
}

function fileOf(p: string, text: string, mtimeMs = 1): IndexedFile {
  return { path: p, size: text.length, mtimeMs, outline: new CountingOutliner().outline({ path: p, languageId: 'typescript', text }) };
}

describe('code terms', () => {
  it('keeps identifiers whole and split into their words, without keywords', () => {
    assert.deepEqual(wordParts('parseHTTPRequest_v2'), ['parse', 'http', 'request', 'v', '2']);
    assert.deepEqual(codeTerms('export function priceOfItem(item: CartItem) { return MAX_PRICE; }'), ['priceofitem', 'price', 'item', 'item', 'cartitem', 'cart', 'item', 'max_price', 'max', 'price']);
    assert.deepEqual(codeTerms('where is the price of an item computed'), ['price', 'item', 'computed']);
  });
});

describe('workspace index', () => {
  it('finds the chunk that defines a name above the ones that only use it, and its definition', () => {
    const index = new WorkspaceIndex();
    index.put(fileOf('src/cart.ts', 'export function priceOf(item: CartItem) {\n  return item.price * item.count;\n}'));
    index.put(fileOf('src/a.ts', 'const total = priceOf(a) + priceOf(b);\nconsole.log(priceOf(c));'));
    index.put(fileOf('src/b.ts', 'function unrelated() { return 1; }'));
    const hits = index.search('how is priceOf computed', 5);
    assert.deepEqual(hits.map((h) => h.path), ['src/cart.ts', 'src/a.ts']);
    assert.deepEqual(index.definitions('priceOf').map((d) => [d.path, d.startLine]), [['src/cart.ts', 0]]);
    assert.deepEqual(index.definitions('nothing'), []);
    assert.deepEqual(index.status(), { status: 'ready', files: 3 });
  });

  it('replaces a file on put and forgets it on remove, in search and definitions alike', () => {
    const index = new WorkspaceIndex();
    index.put(fileOf('m.ts', 'function zebraStripes() {}'));
    index.put(fileOf('m.ts', 'function newName() {}', 2));
    assert.deepEqual(index.search('zebraStripes', 5), []);
    assert.equal(index.search('newName', 5).length, 1);
    assert.deepEqual(index.definitions('zebraStripes'), []);
    assert.equal(index.isCurrent('m.ts', { size: 'function newName() {}'.length, mtimeMs: 2 }), true);
    index.remove('m.ts');
    assert.deepEqual(index.search('newName', 5), []);
    assert.deepEqual(index.definitions('newName'), []);
    assert.equal(index.chunkCount, 0);
  });

  it('refuses files past its limits and keeps what it holds searchable', () => {
    const index = new WorkspaceIndex({ maxChars: 60 });
    assert.equal(index.put(fileOf('a.ts', 'function alpha() { return 1; }')), true);
    assert.equal(index.put(fileOf('b.ts', 'function beta() { return 2222222222222222222222; }')), false);
    assert.equal(index.refusedFiles, 1);
    assert.deepEqual(index.paths(), ['a.ts']);
    assert.equal(index.search('alpha', 3).length, 1);
  });
});

describe('workspace file walk', () => {
  it('honours .gitignore at every level, with negation, and the editor exclude globs', async () => {
    const root = await tempTree({
      '.gitignore': 'build/\n*.gen.ts\n',
      'src/a.ts': 'a',
      'src/a.gen.ts': 'generated',
      'build/out.ts': 'built',
      'lib/.gitignore': 'secret.ts\n!keep.gen.ts\n',
      'lib/secret.ts': 's',
      'lib/keep.gen.ts': 'k',
      'lib/ok.ts': 'ok',
      'vendor/v.ts': 'v',
      'notes.md': 'not code',
      '.git/config.ts': 'never',
    });
    assert.deepEqual(await walked(root, { exclude: ['**/vendor'] }), ['lib/keep.gen.ts', 'lib/ok.ts', 'src/a.ts']);
    assert.equal(await admits(root, 'lib/ok.ts', {}), true);
    assert.equal(await admits(root, 'lib/secret.ts', {}), false);
    assert.equal(await admits(root, 'build/out.ts', {}), false);
    assert.equal(await admits(root, 'vendor/v.ts', { exclude: ['**/vendor'] }), false);
    assert.equal(await admits(root, '../outside.ts', {}), false);
  });

  it('never follows a symbolic link out of the folder, and caps file size and count', async () => {
    const outside = await tempTree({ 'secret.ts': 'function stolen() {}' });
    const root = await tempTree({ 'a.ts': 'a', 'b.ts': 'b', 'big.ts': 'x'.repeat(5000) });
    await fs.symlink(outside, path.join(root, 'linked'));
    await fs.symlink(path.join(outside, 'secret.ts'), path.join(root, 'link.ts'));
    const summary: WalkSummary = { files: 0, skippedLarge: 0 };
    assert.deepEqual(await walked(root, { maxFileBytes: 1000 }, summary), ['a.ts', 'b.ts']);
    assert.equal(summary.skippedLarge, 1);
    assert.equal(await admits(root, 'linked/secret.ts', {}), false);
    assert.equal(await admits(root, 'link.ts', {}), false);
    const capped: WalkSummary = { files: 0, skippedLarge: 0 };
    assert.deepEqual(await walked(root, { maxFiles: 1 }, capped), ['a.ts']);
    assert.equal(capped.truncated, 'max-files');
  });
});

describe('index builder', () => {
  it('builds, saves, and after a reload restores without cutting any file again', async () => {
    const root = await tempTree({ 'src/cart.ts': 'export function priceOf() {}', 'src/util.ts': 'export function clamp() {}', 'bin.ts': 'a\0b' });
    const storeFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-store-')), 'index.json');
    const first = new CountingOutliner();
    const index = new WorkspaceIndex();
    const report = await new IndexBuilder(index, first, { root, walk: {}, languageOf, storeFile }).build();
    assert.deepEqual([report.files, report.cut, report.restored], [2, 2, 0]);
    assert.deepEqual(first.cut.sort(), ['bin.ts', 'src/cart.ts', 'src/util.ts'].filter((p) => p !== 'bin.ts'), 'binary files are not cut');

    const again = new CountingOutliner();
    const reloaded = new WorkspaceIndex();
    const second = await new IndexBuilder(reloaded, again, { root, walk: {}, languageOf, storeFile }).build();
    assert.deepEqual([second.restored, second.cut], [2, 0]);
    assert.deepEqual(again.cut, []);
    assert.deepEqual(reloaded.definitions('priceOf').map((d) => d.path), ['src/cart.ts']);
  });

  it('applies a change, a new file and a deletion on disk one file at a time', async () => {
    const root = await tempTree({ 'a.ts': 'function alpha() {}', 'b.ts': 'function beta() {}' });
    const outliner = new CountingOutliner();
    const index = new WorkspaceIndex();
    const builder = new IndexBuilder(index, outliner, { root, walk: {}, languageOf, changeDelayMs: 5 });
    await builder.build();
    outliner.cut.length = 0;
    await fs.writeFile(path.join(root, 'a.ts'), 'function alphaRenamed() {}');
    await fs.writeFile(path.join(root, 'c.ts'), 'function gamma() {}');
    await fs.rm(path.join(root, 'b.ts'));
    for (const p of ['a.ts', 'b.ts', 'c.ts', '../escape.ts']) builder.fileChanged(p);
    await builder.settled();
    assert.deepEqual(outliner.cut.sort(), ['a.ts', 'c.ts']);
    assert.deepEqual(index.paths().sort(), ['a.ts', 'c.ts']);
    assert.deepEqual(index.definitions('alpha'), []);
    assert.equal(index.definitions('alphaRenamed').length, 1);
    assert.equal(index.definitions('gamma').length, 1);
  });

  it('rebuilds from the files when the saved index is damaged, foreign or cut otherwise', async () => {
    const root = await tempTree({ 'a.ts': 'function alpha() {}' });
    const storeFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-store-')), 'index.json');
    await fs.writeFile(storeFile, '{"format": "autoglm-workspace-index", "version": 1, "files": [');
    assert.equal((await loadIndex(storeFile, { outliner: 'x', root })).reason, 'not JSON');
    const hostile = fileOf('../../etc/passwd.ts', 'function x() {}');
    await saveIndex(storeFile, { outliner: 'test-lines-1', root, files: [hostile] });
    assert.equal((await loadIndex(storeFile, { outliner: 'test-lines-1', root })).reason, 'a malformed file entry');
    await saveIndex(storeFile, { outliner: 'older-outliner', root, files: [fileOf('a.ts', 'function alpha() {}')] });
    assert.equal((await loadIndex(storeFile, { outliner: 'test-lines-1', root })).reason, 'cut by another outliner');
    const outliner = new CountingOutliner();
    const report = await new IndexBuilder(new WorkspaceIndex(), outliner, { root, walk: {}, languageOf, storeFile }).build();
    assert.deepEqual([report.restored, report.cut], [0, 1]);
    assert.equal((await loadIndex(storeFile, { outliner: 'test-lines-1', root })).saved?.files.length, 1, 'the rebuilt index was saved over the bad one');
  });
});
