import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TemplateError } from '../../../src/common/errors';
import { loadPack, type LoadedPack } from '../../../src/templates/pack';
import { PackRuntime } from '../../../src/templates/runtime';

const HOSTILE = path.resolve(__dirname, '../../fixtures/templates/hostile');
const HELPERS = 'if, unless, each, with, lookup, eq, ne, and, or, not, default, upper, lower, indent, truncateTokens, codeBlock, json, lines';

/** [file relative to the pack, line, code, exact message]; the template in `file` must not load. */
const CASES: readonly (readonly [string, number, string, string])[] = [
  // YAML and front matter
  ['bad-yaml.hbs', 3, 'bad-yaml', 'invalid YAML in front matter: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ['no-front-matter.hbs', 1, 'bad-front-matter', "missing front matter: a template starts with a '---' line"],
  ['unclosed-front-matter.hbs', 1, 'bad-front-matter', "front matter is not closed: add a '---' line after it"],
  ['front-matter-list.hbs', 2, 'bad-front-matter', 'front matter must be a YAML mapping of keys such as id, title, version, kind'],
  ['unknown-key.hbs', 3, 'unknown-key', "unknown front-matter key 'titel' (did you mean 'title'?)"],
  ['missing-id.hbs', 2, 'missing-key', "missing required front-matter key 'id'"],
  ['bad-id.hbs', 2, 'bad-value', `'id' "Bad Id!" is not valid: use lower-case letters, digits, dots, dashes and underscores (at most 64)`],
  ['bad-semver-number.hbs', 4, 'bad-version', "'version' must be a semantic version such as 1.0.0 (got number 1); quote it"],
  ['bad-semver-string.hbs', 4, 'bad-version', `'version' must be a semantic version such as 1.0.0 (got string "v1")`],
  ['unknown-kind.hbs', 5, 'unknown-kind', "unknown kind 'chatbot': expected one of chat, command, system, fim, tool"],
  ['bad-variable-type.hbs', 8, 'bad-variable', "variable 'x' needs a type: one of string, number, boolean, enum, code, list (got text)"],
  ['enum-without-values.hbs', 8, 'bad-variable', "enum variable 'mode' needs 'values': a non-empty list of strings"],
  ['bad-default.hbs', 9, 'bad-default', `default of variable 'n' (number): expected a number, got string "ten"`],
  ['required-with-default.hbs', 10, 'bad-variable', "variable 'x' is required, so a default would never be used; remove one of them"],
  ['reserved-variable.hbs', 7, 'bad-variable', "variable name 'constructor' is not allowed: it is an Object.prototype member"],
  ['duplicate-variable.hbs', 9, 'duplicate-variable', "variable 'x' is declared twice (first on line 7)"],
  ['bad-temperature.hbs', 7, 'bad-value', "'params.temperature' must be a number from 0 to 2 (got number 5)"],
  ['slash-on-system.hbs', 6, 'bad-value', "'slash' is only for kinds chat and command, not system"],
  ['fim-without-family.hbs', 5, 'missing-key', "a fim template needs 'family' (the model family its tokens belong to)"],
  ['fim-without-suffix.hbs', 7, 'missing-variable-declaration', "a fim template must declare the code variable 'suffix'"],
  ['zz-duplicate-id.hbs', 2, 'duplicate-id', "duplicate template id 'good': already defined in good.hbs:2"],
  ['zz-duplicate-slash.hbs', 6, 'duplicate-slash', "duplicate slash command '/go': already used by 'slash-go' in slash-go.hbs"],
  // Handlebars syntax: lines are file lines, front matter included
  ['unclosed-block.hbs', 11, 'syntax', "unclosed block '{{#if}}': add '{{/if}}'"],
  ['mismatched-block.hbs', 12, 'syntax', "block '{{#if}}' opened on line 10 is closed by '{{/each}}'"],
  ['unclosed-mustache.hbs', 11, 'syntax', "Handlebars syntax error: unexpected 'INVALID', expecting 'ID', 'STRING', 'NUMBER', 'BOOLEAN', 'UNDEFINED', 'NULL', 'DATA'"],
  ['unclosed-comment.hbs', 10, 'syntax', "unclosed comment: '{{!--' needs '--}}'"],
  // Helpers
  ['unknown-helper.hbs', 11, 'unknown-helper', `unknown helper 'shout'; available: ${HELPERS}`],
  ['unknown-helper-sub.hbs', 10, 'unknown-helper', `unknown helper 'gt'; available: ${HELPERS}`],
  ['log-helper.hbs', 10, 'unknown-helper', `unknown helper 'log'; available: ${HELPERS}`],
  ['helper-arity.hbs', 10, 'helper-arity', "helper 'indent' takes 2 arguments, got 1: {{indent text 4}}"],
  ['helper-as-block.hbs', 10, 'helper-not-block', "helper 'eq' cannot open a block; use it inside one, e.g. {{#if (eq ...)}}"],
  ['section-block.hbs', 10, 'unknown-helper', "'{{#x}}' is not a block helper; use {{#if x}} or {{#each x}}"],
  ['decorator.hbs', 10, 'decorator', 'decorators ({{* ...}}) are not allowed in prompt templates'],
  // Prototype access
  ['constructor.hbs', 11, 'prototype-access', "'constructor.constructor' reaches 'constructor': templates cannot access object prototypes"],
  ['lookup-proto.hbs', 10, 'prototype-access', "lookup of '__proto__' is not allowed: templates cannot reach object prototypes"],
  ['lookup-constructor-sub.hbs', 11, 'prototype-access', "lookup of 'constructor' is not allowed: templates cannot reach object prototypes"],
  ['proto-segment.hbs', 10, 'prototype-access', "'x.__proto__.polluted' reaches '__proto__': templates cannot access object prototypes"],
  ['prototype-segment.hbs', 10, 'prototype-access', "'this.prototype' reaches 'prototype': templates cannot access object prototypes"],
  // Variables
  ['unknown-variable.hbs', 11, 'unknown-variable', "unknown variable 'selction': declare it under 'variables' in the front matter (did you mean 'selection'?)"],
  ['climb-above-root.hbs', 10, 'unknown-variable', "'../x' climbs above the top-level context"],
  ['unknown-data.hbs', 10, 'unknown-variable', "unknown data variable '@secret' (known: @root, @index, @first, @last, @key)"],
  [
    'partial-missing-var.hbs',
    11,
    'partial-error',
    "partial 'needs-name' fails when included here (partials/needs-name.hbs:1: unknown variable 'name' in partial 'needs-name': template 'partial-missing-var' does not declare it and the partial call does not pass it)",
  ],
  [
    'partial-hash-missing.hbs',
    11,
    'partial-error',
    "partial 'greet' fails when included here (partials/greet.hbs:1: unknown variable 'who' in partial 'greet': template 'partial-hash-missing' does not declare it and the partial call does not pass it)",
  ],
  // Partials
  ['partial-traversal.hbs', 11, 'partial-path', "partial name '../secrets' is not allowed: partials are named files from this pack's partials/ folder (no paths, no '..')"],
  ['partial-absolute.hbs', 11, 'partial-path', "partial name '/etc/passwd' is not allowed: partials are named files from this pack's partials/ folder (no paths, no '..')"],
  ['partial-dynamic.hbs', 11, 'dynamic-partial', 'dynamic partial names are not allowed: name the partial, e.g. {{> role}}'],
  ['unknown-partial.hbs', 11, 'unknown-partial', "unknown partial 'footer': there is no partials/footer.hbs in this pack"],
  ['partial-block-in-template.hbs', 11, 'unknown-partial', '{{> @partial-block}} only works inside a partial called as a block'],
  ['recursive-partial.hbs', 11, 'partial-error', "partial 'loop-a' fails when included here (partials/loop-b.hbs:2: recursive partial: loop-a -> loop-b -> loop-a)"],
  ['partial-without-block.hbs', 11, 'partial-needs-block', "partial 'frame' wraps content: call it as a block, {{#> frame}}...{{/frame}}"],
  ['yaml-aliases.hbs', 7, 'bad-yaml', 'YAML aliases (*a) are not allowed in front matter; write the value out'],
  ['yaml-tag.hbs', 3, 'bad-yaml', 'invalid YAML in front matter: Unresolved tag: tag:yaml.org,2002:js/function'],
  ['broken-partial-user.hbs', 11, 'broken-partial', "partial 'broken' has errors (see partials/broken.hbs)"],
];

/** Problems in partial files: [file, line, code, message]. */
const PARTIAL_CASES: readonly (readonly [string, number, string, string])[] = [
  ['partials/loop-b.hbs', 2, 'recursive-partial', 'recursive partial: loop-a -> loop-b -> loop-a'],
  ['partials/loop-a.hbs', 2, 'recursive-partial', 'recursive partial: loop-b -> loop-a -> loop-b'],
  ['partials/broken.hbs', 2, 'syntax', "unclosed block '{{#each}}': add '{{/each}}'"],
  ['partials/bad name.hbs', 1, 'bad-partial-name', "partial file name 'bad name.hbs' is not usable: partials are partials/<name>.hbs with name of letters, digits, - and _"],
  ['partials/loop-a.hbs', 2, 'partial-error', "partial 'loop-b' fails when included here (partials/loop-b.hbs:2: recursive partial: loop-a -> loop-b -> loop-a)"],
  [
    'partials/greet.hbs',
    1,
    'unknown-variable',
    "unknown variable 'who' in partial 'greet': template 'partial-hash-missing' does not declare it and the partial call does not pass it",
  ],
  [
    'partials/needs-name.hbs',
    1,
    'unknown-variable',
    "unknown variable 'name' in partial 'needs-name': template 'partial-missing-var' does not declare it and the partial call does not pass it",
  ],
];

describe('templates: malformed and hostile packs', () => {
  let pack: LoadedPack;

  before(async () => {
    pack = await loadPack(HOSTILE, 'workspace');
  });

  it('loads the pack without throwing and keeps its good templates', () => {
    assert.deepEqual(pack.templates.map((t) => t.meta.id).sort(), ['echo', 'good', 'partial-hash', 'slash-go', 'uses-partial-var']);
  });

  for (const [file, line, code, message] of CASES) {
    it(`${file}:${line}: ${code}`, () => {
      const full = path.join(HOSTILE, file);
      const found = pack.diagnostics.filter((d) => d.file === full && d.severity === 'error');
      assert.ok(found.length > 0, `no error for ${file}; all: ${JSON.stringify(pack.diagnostics.map((d) => `${path.basename(d.file)}:${d.line} ${d.message}`))}`);
      assert.deepEqual(
        found.map((d) => ({ line: d.line, code: d.code, message: d.message })),
        [{ line, code, message }],
      );
      assert.ok(pack.failed.some((f) => f.file === full), `${file} should be listed as failed`);
      assert.ok(!pack.templates.some((t) => t.file === full), `${file} must not load`);
    });
  }

  for (const [file, line, code, message] of PARTIAL_CASES) {
    it(`${file}:${line}: ${code}`, () => {
      const full = path.join(HOSTILE, file);
      const found = pack.diagnostics.filter((d) => d.file === full && d.code === code);
      assert.deepEqual(
        found.map((d) => ({ line: d.line, message: d.message })),
        [{ line, message }],
      );
    });
  }

  it('reports every diagnostic with an absolute file and a positive line', () => {
    for (const d of pack.diagnostics) {
      assert.ok(path.isAbsolute(d.file), d.file);
      assert.ok(Number.isInteger(d.line) && d.line >= 1, `${d.file}:${d.line}`);
    }
  });

  it('still renders the good templates, partials included', () => {
    const good = pack.templates.find((t) => t.meta.id === 'good')!;
    assert.equal(good.render({ x: 'yes' }).text, '[Good: yes\n]\n');
    const viaPartial = pack.templates.find((t) => t.meta.id === 'uses-partial-var')!;
    assert.equal(viaPartial.render({}).text, 'Hello world!\n');
    assert.equal(viaPartial.render({ name: 'team' }).text, 'Hello team!\n');
    const hash = pack.templates.find((t) => t.meta.id === 'partial-hash')!;
    assert.equal(hash.render({ x: 'team' }).text, 'Hi team!\n', 'a partial sees the hash arguments of its call');
  });

  it('refuses a missing required variable, naming the declaration line', () => {
    const good = pack.templates.find((t) => t.meta.id === 'good')!;
    assert.throws(
      () => good.render({}),
      (err: unknown) =>
        err instanceof TemplateError &&
        err.code === 'missing-variable' &&
        err.file === path.join(HOSTILE, 'good.hbs') &&
        err.line === 7 &&
        err.message === `${path.join(HOSTILE, 'good.hbs')}:7: missing required variable 'x' of template 'good'`,
    );
  });

  it('refuses a variable of the wrong type', () => {
    const echo = pack.templates.find((t) => t.meta.id === 'echo')!;
    assert.throws(
      () => echo.render({ code: 'a', count: '3' }),
      (err: unknown) =>
        err instanceof TemplateError &&
        err.code === 'variable-type' &&
        err.line === 10 &&
        err.message.endsWith(`variable 'count' of template 'echo' has the wrong type: expected a number, got string "3"`),
    );
    assert.throws(() => echo.render({ code: { toString: () => 'x' } }), /variable 'code' of template 'echo' has the wrong type: expected code \(a string\), got a mapping/);
  });

  it('refuses output over the size limit with a clear error', () => {
    const echo = pack.templates.find((t) => t.meta.id === 'echo')!;
    const huge = 'x'.repeat(3 * 1024 * 1024);
    assert.throws(
      () => echo.render({ code: huge }),
      (err: unknown) => err instanceof TemplateError && err.code === 'output-too-large' && /rendered prompt is 3145731 characters, over the limit of 2097152/.test(err.message),
    );
    assert.throws(() => echo.render({ code: 'abc' }, { maxOutputChars: 4 }), /over the limit of 4/);
    assert.equal(echo.render({ code: 'abc' }).text, 'abc x1', 'the final newline of the file is not part of the template');
  });

  it('ignores variables a template does not declare, and never exposes prototypes', () => {
    const echo = pack.templates.find((t) => t.meta.id === 'echo')!;
    const out = echo.render({ code: 'ok', constructor: 'evil', __proto__: { polluted: true } } as Record<string, unknown>);
    assert.equal(out.text, 'ok x1');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
});

describe('templates: each hostile template beside a good one', () => {
  let root: string;

  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-hostile-'));
  });

  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  for (const [file, line, code, message] of CASES) {
    it(`${file} fails alone while good.hbs in the same pack renders`, async () => {
      const dir = path.join(root, file.replace(/\W/g, '_'));
      await fs.mkdir(dir);
      await fs.cp(path.join(HOSTILE, 'partials'), path.join(dir, 'partials'), { recursive: true });
      for (const name of ['pack.json', 'good.hbs', file, ...(file === 'zz-duplicate-slash.hbs' ? ['slash-go.hbs'] : [])]) {
        await fs.copyFile(path.join(HOSTILE, name), path.join(dir, name));
      }
      const pack = await loadPack(dir, 'workspace');
      const own = pack.diagnostics.filter((d) => d.file === path.join(dir, file) && d.severity === 'error');
      assert.deepEqual(own.map((d) => [d.line, d.code, d.message]), [[line, code, message]]);
      const good = pack.templates.find((t) => t.meta.id === 'good');
      assert.ok(good, 'good.hbs still loads');
      assert.equal(good.file, path.join(dir, 'good.hbs'));
      assert.equal(good.render({ x: file }).text, `[Good: ${file}\n]\n`);
    });
  }
});

describe('templates: runtime guards', () => {
  it('stops recursive partials at the depth limit with an error, not a stack overflow', () => {
    const runtime = new PackRuntime(5);
    runtime.registerPartial('self', '/pack/partials/self.hbs', runtime.compile('<{{> self}}>'));
    const template = runtime.compile('start {{> self}}');
    assert.throws(
      () => runtime.render(template, {}, { file: '/pack/t.hbs', lineOffset: 0, countTokens: undefined, maxOutputChars: 1000 }),
      (err: unknown) =>
        err instanceof TemplateError && err.code === 'partial-depth' && err.message === "/pack/partials/self.hbs: partials nested more than 5 deep while rendering (is 'self' recursive?)",
    );
    // The depth counter is reset: the next render of a sound template works.
    assert.equal(runtime.render(runtime.compile('fine'), {}, { file: '/pack/t.hbs', lineOffset: 0, countTokens: undefined, maxOutputChars: 1000 }), 'fine');
  });

  it('blocks prototype properties even when a value carries them', () => {
    const runtime = new PackRuntime(5);
    class Secret {
      get leaked(): string {
        return 'leaked';
      }
    }
    const out = runtime.render(runtime.compile('[{{s.leaked}}]'), { s: new Secret() }, { file: '/t.hbs', lineOffset: 0, countTokens: undefined, maxOutputChars: 1000 });
    assert.equal(out, '[]');
  });

  it('has no helpers beyond the safe set', () => {
    const runtime = new PackRuntime(5);
    assert.throws(() => runtime.compile('{{log "x"}}'), /unknown helper log/);
    assert.throws(() => runtime.compile('{{shout "x"}}'), /unknown helper shout/);
  });
});

describe('templates: hostile files on disk', () => {
  let dir: string;

  const manifest = '{ "name": "p", "version": "1.0.0", "description": "d" }\n';
  const good = '---\nid: ok\ntitle: ok\nversion: 1.0.0\nkind: command\n---\nok\n';

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-templates-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function write(files: Record<string, string>): Promise<void> {
    for (const [name, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await fs.writeFile(path.join(dir, name), text);
    }
  }

  it('refuses a template linked to a file outside the pack', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-outside-'));
    try {
      await fs.writeFile(path.join(outside, 'secret.hbs'), '---\nid: secret\ntitle: s\nversion: 1.0.0\nkind: command\n---\nsecret\n');
      await write({ 'pack.json': manifest, 'ok.hbs': good });
      await fs.symlink(path.join(outside, 'secret.hbs'), path.join(dir, 'link.hbs'));
      const pack = await loadPack(dir, 'workspace');
      assert.deepEqual(
        pack.diagnostics.map((d) => [path.basename(d.file), d.line, d.code, d.message]),
        [['link.hbs', 1, 'outside-pack', 'this file is a link to a file outside the pack; packs may only use their own files']],
      );
      assert.deepEqual(pack.templates.map((t) => t.meta.id), ['ok']);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses a file over the size limit', async () => {
    await write({ 'pack.json': manifest, 'ok.hbs': good, 'big.hbs': `${good}${'x'.repeat(2000)}` });
    const pack = await loadPack(dir, 'workspace', { limits: { maxFileBytes: 1000 } });
    assert.deepEqual(
      pack.diagnostics.map((d) => [path.basename(d.file), d.line, d.code]),
      [['big.hbs', 1, 'file-too-large']],
    );
    assert.match(pack.diagnostics[0]!.message, /^file is 2\d{3} bytes, over the limit of 1000$/);
    assert.deepEqual(pack.templates.map((t) => t.meta.id), ['ok']);
  });

  it('keeps line numbers right in files with CRLF line endings', async () => {
    await write({ 'pack.json': manifest, 'crlf.hbs': '---\r\nid: crlf\r\ntitle: c\r\nversion: 1.0.0\r\nkind: command\r\n---\r\nfine\r\n{{nope 1}}\r\n' });
    const pack = await loadPack(dir, 'workspace');
    assert.deepEqual(pack.diagnostics.map((d) => [d.line, d.code]), [[8, 'unknown-helper']]);
  });

  it('skips a pack without pack.json, saying so', async () => {
    await write({ 'ok.hbs': good });
    const pack = await loadPack(dir, 'user');
    assert.equal(pack.info, undefined);
    assert.deepEqual(pack.diagnostics.map((d) => [path.basename(d.file), d.line, d.message]), [['pack.json', 1, 'not a prompt pack: pack.json is missing']]);
  });

  it('reports invalid JSON in pack.json at its line', async () => {
    await write({ 'pack.json': '{\n  "name": "p",\n  "version": "1.0.0"\n  "description": "d"\n}\n', 'ok.hbs': good });
    const pack = await loadPack(dir, 'user');
    assert.equal(pack.templates.length, 0);
    assert.equal(pack.diagnostics.length, 1);
    assert.equal(pack.diagnostics[0]!.line, 4);
    assert.match(pack.diagnostics[0]!.message, /^pack.json is not valid JSON: /);
  });

  it('reports a bad pack version and an incompatible engine range', async () => {
    await write({ 'pack.json': '{\n  "name": "p",\n  "version": "1",\n  "engines": { "autoglm": ">=9.0.0" }\n}\n', 'ok.hbs': good });
    const pack = await loadPack(dir, 'user', { hostVersion: '0.1.0' });
    assert.deepEqual(
      pack.diagnostics.map((d) => [d.line, d.code, d.message]),
      [
        [3, 'bad-version', `pack.json 'version' must be a semantic version such as 1.0.0, got "1"`],
        [4, 'incompatible-pack', 'pack requires Open AutoGLM >=9.0.0; this is 0.1.0'],
      ],
    );
  });

  it('loads only the first templates of a pack with too many', async () => {
    const files: Record<string, string> = { 'pack.json': manifest };
    for (let i = 0; i < 5; i++) {
      files[`t${i}.hbs`] = good.replace('id: ok', `id: t${i}`);
    }
    await write(files);
    const pack = await loadPack(dir, 'workspace', { limits: { maxTemplates: 3 } });
    assert.deepEqual(pack.templates.map((t) => t.meta.id), ['t0', 't1', 't2']);
    assert.deepEqual(pack.diagnostics.map((d) => [path.basename(d.file), d.code, d.message]), [['pack.json', 'too-many-templates', 'pack has 5 templates; only the first 3 are loaded']]);
  });
});
