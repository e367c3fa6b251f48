import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeTemplate, type PartialSource } from '../../../src/templates/analyze';
import { MAX_ANALYSIS_NODES, MAX_NESTING, nestingProblem } from '../../../src/templates/complexity';
import { loadPack } from '../../../src/templates/pack';
import { PackRuntime } from '../../../src/templates/runtime';

/**
 * Templates built to make the checks themselves slow or crash. The bound is the mocha timeout:
 * the assertions are on the diagnostics, never on elapsed time.
 */
const MANIFEST = '{ "name": "p", "version": "1.0.0", "description": "d" }\n';
const FRONT = (id: string): string => `---\nid: ${id}\ntitle: ${id}\nversion: 1.0.0\nkind: command\nvariables:\n  - name: x\n    type: string\n    default: "yes"\n---\n`;
const BODY_LINE = 11;

const nestedIfs = (n: number): string => `${'{{#if x}}'.repeat(n)}deep{{x}}${'{{/if}}'.repeat(n)}`;
const nestedSubs = (n: number): string => `{{#if (not ${'(not '.repeat(n)}x${')'.repeat(n)})}}deep{{/if}}`;

describe('templates: pathological templates load in bounded time', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-complexity-'));
    await fs.writeFile(path.join(dir, 'pack.json'), MANIFEST);
    await fs.writeFile(path.join(dir, 'ok.hbs'), `${FRONT('ok')}ok {{x}}\n`);
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function loadWith(files: Record<string, string>): Promise<Awaited<ReturnType<typeof loadPack>>> {
    for (const [name, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await fs.writeFile(path.join(dir, name), text);
    }
    return loadPack(dir, 'workspace');
  }

  function assertOkStillWorks(pack: Awaited<ReturnType<typeof loadPack>>): void {
    assert.deepEqual(pack.templates.map((t) => t.meta.id), ['ok']);
    assert.equal(pack.templates[0]!.render({ x: 'fine' }).text, 'ok fine');
  }

  it('refuses 12,000 nested {{#if}} blocks with a diagnostic, and keeps the other templates', async () => {
    const pack = await loadWith({ 'deep.hbs': `${FRONT('deep')}${nestedIfs(12_000)}\n` });
    assert.deepEqual(
      pack.diagnostics.map((d) => [path.basename(d.file), d.line, d.code, d.message]),
      [['deep.hbs', BODY_LINE, 'too-deep', `blocks are nested more than ${MAX_NESTING} deep here; flatten the template`]],
    );
    assert.deepEqual(pack.failed.map((f) => path.basename(f.file)), ['deep.hbs']);
    assertOkStillWorks(pack);
  });

  it('refuses 5,000 nested sub-expressions with a diagnostic instead of a stack overflow', async () => {
    const pack = await loadWith({ 'subs.hbs': `${FRONT('subs')}${nestedSubs(5_000)}\n` });
    assert.deepEqual(
      pack.diagnostics.map((d) => [path.basename(d.file), d.line, d.code, d.message]),
      [['subs.hbs', BODY_LINE, 'too-deep', `sub-expressions are nested more than ${MAX_NESTING} deep here; flatten the expression`]],
    );
    assertOkStillWorks(pack);
  });

  it('refuses a long else-if chain, which Handlebars nests one level per link', async () => {
    const chain = `{{#if x}}a${Array.from({ length: 100 }, (_, i) => `{{else if x}}${i}`).join('')}{{/if}}`;
    const pack = await loadWith({ 'chain.hbs': `${FRONT('chain')}${chain}\n` });
    assert.deepEqual(pack.diagnostics.map((d) => [path.basename(d.file), d.code]), [['chain.hbs', 'too-deep']]);
    assertOkStillWorks(pack);
  });

  it('loads and renders a template nested exactly to the limit', async () => {
    const pack = await loadWith({ 'edge.hbs': `${FRONT('edge')}${nestedIfs(MAX_NESTING - 1)}\n` });
    assert.deepEqual(pack.diagnostics, []);
    assert.equal(pack.templates.find((t) => t.meta.id === 'edge')!.render({ x: 'y' }).text, 'deepy');
  });

  it('refuses partials fanned out 8 wide and 8 deep as too complex, and keeps the other templates', async () => {
    const files: Record<string, string> = { 'fan.hbs': `${FRONT('fan')}${'{{> p1}}'.repeat(8)}\n`, 'partials/p8.hbs': 'x' };
    for (let i = 1; i < 8; i++) {
      files[`partials/p${i}.hbs`] = `{{> p${i + 1}}}`.repeat(8);
    }
    const pack = await loadWith(files);
    const tooComplex = pack.diagnostics.filter((d) => d.code === 'too-complex').map((d) => path.basename(d.file));
    assert.deepEqual(tooComplex.sort(), ['fan.hbs', 'p1.hbs', 'p2.hbs']);
    assert.match(
      pack.diagnostics.find((d) => d.code === 'too-complex' && path.basename(d.file) === 'fan.hbs')!.message,
      new RegExp(`^template 'fan' is too complex to check: with its partials it expands to more than ${MAX_ANALYSIS_NODES} Handlebars nodes`),
    );
    assert.ok(pack.failed.some((f) => f.id === 'fan'));
    assertOkStillWorks(pack);
  });

  it('analyses a partial included many times once per context', () => {
    const runtime = new PackRuntime(8);
    const partials = new Map<string, PartialSource>();
    const add = (name: string, source: string): void => {
      partials.set(name, { name, file: `/pack/partials/${name}.hbs`, program: runtime.parse(source), lineOffset: 0 });
    };
    add('leaf', '{{#if x}}{{upper x}}{{/if}}');
    add('mid', '{{> leaf}}'.repeat(8));
    const result = analyzeTemplate({ file: '/pack/t.hbs', program: runtime.parse('{{> mid}}'.repeat(8)), lineOffset: 10, declared: new Set(['x']), partials, maxPartialDepth: 8 });
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual([...result.used], ['x']);
    assert.ok(result.work.walked < 40, `walked ${result.work.walked} nodes`);
    assert.ok(result.work.expanded > 8 * 8 * 3, `expanded ${result.work.expanded} nodes`);
  });

  it('never reuses a partial inclusion that had errors', async () => {
    const pack = await loadWith({ 'partials/greet.hbs': 'hi {{name}}', 'a.hbs': `${FRONT('a')}{{> greet}}{{> greet}}\n` });
    const codes = new Set(pack.diagnostics.map((d) => `${path.basename(d.file)} ${d.code}`));
    assert.deepEqual([...codes], ['greet.hbs unknown-variable', 'a.hbs partial-error']);
    assert.deepEqual(pack.failed.map((f) => f.id), ['a']);
    assertOkStillWorks(pack);
  });
});

describe('templates: nesting measured on the source text', () => {
  it('counts blocks, else-if links and sub-expressions', () => {
    assert.equal(nestingProblem(nestedIfs(MAX_NESTING)), undefined);
    assert.equal(nestingProblem(nestedIfs(MAX_NESTING + 1))?.line, 1);
    assert.equal(nestingProblem(`{{lines ${'('.repeat(MAX_NESTING)}x${')'.repeat(MAX_NESTING)}}}`), undefined);
    assert.match(nestingProblem(`a\nb\n{{x ${'(not '.repeat(MAX_NESTING + 1)}y${')'.repeat(MAX_NESTING + 1)}}}`)?.message ?? '', /sub-expressions are nested more than 64 deep/);
    assert.equal(nestingProblem(`a\nb\n{{x ${'(not '.repeat(MAX_NESTING + 1)}y}}`)?.line, 3);
  });

  it('ignores what only looks like nesting: strings, comments, escapes, else and siblings', () => {
    assert.equal(nestingProblem(`{{default x "${'('.repeat(100)}"}}`), undefined);
    assert.equal(nestingProblem(`{{!-- ${'{{#if x}}'.repeat(100)} --}}`), undefined);
    assert.equal(nestingProblem(`{{! ${'((('.repeat(40)} }}`), undefined);
    assert.equal(nestingProblem(`${'\\{{#if x}}'.repeat(100)}`), undefined);
    assert.equal(nestingProblem(`{{#if x}}${'a{{else}}b{{^}}c'.repeat(100)}{{/if}}`), undefined);
    assert.equal(nestingProblem('{{#if x}}a{{/if}}'.repeat(1000)), undefined);
  });
});
