/**
 * The architecture's import boundaries, checked on the sources themselves (the lint rules say
 * the same; this keeps them true even where lint is not run).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const src = path.resolve(__dirname, '..', '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

const files = sources(src).map((f) => ({ rel: path.relative(src, f).split(path.sep).join('/'), deps: imports(f) }));

/** The project folder a relative import of `rel` lands in (`engine/constrain/x.ts` importing `../types`: `engine`). */
function targetFolder(rel: string, dep: string): string {
  return path.posix.normalize(path.posix.join(path.posix.dirname(rel), dep)).split('/')[0]!;
}

/** Relative imports of files under `folder` that land outside `allowed` (the folder itself is always allowed). */
function importsOutside(folder: string, allowed: readonly string[]): string[] {
  return files
    .filter((f) => f.rel.startsWith(`${folder}/`))
    .flatMap((f) => f.deps.filter((d) => d.startsWith('.') && ![folder, ...allowed].includes(targetFolder(f.rel, d))).map((d) => `${f.rel} -> ${d}`));
}

function offenders(module: string, allowed: RegExp): string[] {
  return files.filter((f) => !allowed.test(f.rel) && f.deps.includes(module)).map((f) => f.rel);
}

describe('import boundaries', () => {
  it('finds the sources it checks', () => {
    assert.ok(files.some((f) => f.rel === 'extension.ts'));
  });

  it("imports 'vscode' only in host/ and extension.ts", () => {
    assert.deepEqual(offenders('vscode', /^(host\/|extension\.ts$)/), []);
  });

  it("imports 'onnxruntime-node' only in engine/", () => {
    assert.deepEqual(offenders('onnxruntime-node', /^engine\//), []);
  });

  it("imports 'handlebars' only in templates/", () => {
    assert.deepEqual(offenders('handlebars', /^templates\//), []);
  });

  it('lets engine/ depend on common/ and protocol/ only', () => {
    assert.deepEqual(importsOutside('engine', ['common', 'protocol']), []);
  });

  it('lets models/ depend on common/ and protocol/ only', () => {
    const bad = files
      .filter((f) => f.rel.startsWith('models/'))
      .flatMap((f) => f.deps.filter((d) => (d.startsWith('../') && !/^\.\.\/(common|protocol)\//.test(d)) || d === 'vscode' || d === 'onnxruntime-node').map((d) => `${f.rel} -> ${d}`));
    assert.deepEqual(bad, []);
  });

  it('lets codeIndex/ depend on common/ only, with no editor, engine or template package', () => {
    const bad = files
      .filter((f) => f.rel.startsWith('codeIndex/'))
      .flatMap((f) => f.deps.filter((d) => (d.startsWith('../') && !/^\.\.\/common\//.test(d)) || ['vscode', 'onnxruntime-node', 'handlebars'].includes(d)).map((d) => `${f.rel} -> ${d}`));
    assert.deepEqual(bad, []);
  });

  it('lets agent/ depend on common/ and protocol/ only, with no editor, engine or template package', () => {
    const packages = files.filter((f) => f.rel.startsWith('agent/')).flatMap((f) => f.deps.filter((d) => ['vscode', 'onnxruntime-node', 'handlebars'].includes(d)).map((d) => `${f.rel} -> ${d}`));
    assert.deepEqual([...importsOutside('agent', ['common', 'protocol']), ...packages], []);
  });

  it('keeps completion/, chat/ and templates/ independent of host/', () => {
    const bad = files.filter((f) => /^(completion|chat|templates)\//.test(f.rel) && f.deps.some((d) => /(^|\/)host(\/|$)/.test(d))).map((f) => f.rel);
    assert.deepEqual(bad, []);
  });

  it('lets webview/ import only protocol/ among the project folders', () => {
    const bad = files
      .filter((f) => f.rel.startsWith('webview/'))
      .flatMap((f) => f.deps.filter((d) => d.startsWith('../') && !d.startsWith('../protocol/')).map((d) => `${f.rel} -> ${d}`));
    assert.deepEqual(bad, []);
  });
});
