/**
 * Outlines of one realistic file per language against their goldens
 * (test/fixtures/codeIndex/<language>/outline.json). `UPDATE_GOLDEN=1` rewrites the goldens.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { languageOfPath } from '../../../src/codeIndex/languages';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../../src/codeIndex/syntax';
import type { FileOutline } from '../../../src/codeIndex/types';
import { assertEveryLineOnce } from './coverage';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'codeIndex');
const update = process.env.UPDATE_GOLDEN === '1';

interface Fixture {
  language: string;
  file: string;
  text: string;
}

function fixtures(): Fixture[] {
  return fs
    .readdirSync(FIXTURES)
    .sort()
    .map((language) => {
      const name = fs.readdirSync(path.join(FIXTURES, language)).find((f) => f.startsWith('input.'))!;
      return { language, file: `${language}/${name}`, text: fs.readFileSync(path.join(FIXTURES, language, name), 'utf8') };
    });
}

/** What the golden pins: lines, symbols and texts, without the chunk texts (the input has those). */
function golden(outline: FileOutline): unknown {
  return {
    cutBy: outline.cutBy,
    chunks: outline.chunks.map((c) => ({ startLine: c.startLine, endLine: c.endLine, symbols: c.symbols, ...(c.context === undefined ? {} : { context: c.context }) })),
    definitions: outline.definitions.map((d) => ({ name: d.name, kind: d.kind, startLine: d.startLine, endLine: d.endLine, container: d.container ?? null, exported: d.exported === true, text: d.text })),
  };
}

describe('codeIndex/syntax: outlines of real files against goldens', () => {
  let outliner: SyntaxOutliner;
  before(async () => {
    outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages());
  });
  after(() => outliner.dispose());

  it('has a fixture for each language with a grammar (javascriptreact parses as javascript)', () => {
    assert.deepEqual(
      fixtures().map((f) => languageOfPath(f.file)),
      ['c', 'cpp', 'go', 'java', 'javascript', 'python', 'rust', 'typescript', 'typescriptreact'],
    );
  });

  for (const fixture of fixtures()) {
    describe(fixture.language, () => {
      let outline: FileOutline;
      before(() => {
        outline = outliner.outline({ path: fixture.file, languageId: languageOfPath(fixture.file)!, text: fixture.text });
      });

      it('matches its golden outline', () => {
        const goldenFile = path.join(FIXTURES, fixture.language, 'outline.json');
        const actual = golden(outline);
        if (update) {
          fs.writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`);
        }
        assert.ok(fs.existsSync(goldenFile), `${goldenFile} exists (UPDATE_GOLDEN=1 writes it)`);
        assert.deepEqual(actual, JSON.parse(fs.readFileSync(goldenFile, 'utf8')));
      });

      it('is cut by its grammar, with definitions', () => {
        assert.equal(outline.cutBy, 'syntax');
        assert.ok(outline.definitions.length >= 5, `${outline.definitions.length} definitions`);
        assert.ok(outline.definitions.every((d) => d.path === fixture.file));
      });

      it('puts every non-blank line in exactly one chunk', () => {
        assertEveryLineOnce(fixture.text, outline.chunks);
      });

      it("names each definition in the chunk that holds its first line, and nothing else", () => {
        for (const chunk of outline.chunks) {
          const inside = outline.definitions.filter((d) => d.startLine >= chunk.startLine && d.startLine <= chunk.endLine).map((d) => d.name);
          assert.deepEqual(chunk.symbols, [...new Set(inside)]);
        }
      });

      it('keeps every line in exactly one chunk when the cap forces members apart', async () => {
        const small = await SyntaxOutliner.create(syntaxAssetsFromPackages(), { chunkLines: 6 });
        try {
          const cut = small.outline({ path: fixture.file, languageId: languageOfPath(fixture.file)!, text: fixture.text });
          assert.equal(cut.cutBy, 'syntax');
          assertEveryLineOnce(fixture.text, cut.chunks);
          assert.ok(cut.chunks.length > outline.chunks.length);
        } finally {
          small.dispose();
        }
      });
    });
  }
});
