import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openAtEnd, saveActiveEditor, useWorkbench } from '../harness/workbench';

/** Lines typed one after another until the model offers ghost text. */
const ATTEMPTS = ['export function fibonacci(n: number): number {', 'if (n < 2) {', 'return n;', '}', 'const previous = fibonacci(n - 1);', 'return previous + fibonacci(n - 2);'];

describe('GUI: ghost text from the bundled model, accepted with Tab', function () {
  this.timeout(300_000);
  // Auto-closed brackets would make the text after the cursor depend on typing speed, and the
  // suggest widget could rewrite a typed word: `;` is a commit character for TypeScript items.
  const workbench = useWorkbench({
    'editor.autoClosingBrackets': 'never',
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.acceptSuggestionOnCommitCharacter': false,
    'editor.acceptSuggestionOnEnter': 'off',
    'editor.parameterHints.enabled': false,
  });

  it('shows ghost text while typing; Tab accepts it and the saved file holds it', async () => {
    const wb = workbench();
    const { page } = wb;
    await openAtEnd(page, 'sample.ts');

    const ghosts = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text');
    const file = path.join(wb.workspace, 'src', 'sample.ts');
    let typed = '';
    let accepted: { ghost: string; saved: string } | undefined;
    for (const line of ATTEMPTS) {
      await page.keyboard.press('Enter');
      await page.keyboard.type(line, { delay: 40 });
      typed = line;
      try {
        await ghosts.first().waitFor({ timeout: 45_000 });
      } catch {
        continue; // The model had nothing to offer here; type the next line.
      }
      // A suggestion shown while the line was typed may be replaced once typing stops; read the one that stays.
      await new Promise((r) => setTimeout(r, 1000));
      // Multi-line ghost text is split over several decorations; some may be empty.
      const ghost = (await ghosts.allInnerTexts()).join('').replace(/\s+/g, ' ').trim();
      if (ghost === '') {
        continue;
      }
      await wb.screenshot('ghost-text');
      await page.keyboard.press('Tab');
      const firstWord = ghost.split(' ')[0]!;
      // Only the text after what was typed counts: the typed line may itself contain the word.
      // A file without the typed line (it was altered while typing) does not count at all.
      const afterTyped = (text: string): string => {
        const at = text.lastIndexOf(typed);
        return at < 0 ? '' : text.slice(at + typed.length);
      };
      const saved = await saveActiveEditor(page, file, (text) => afterTyped(text).includes(firstWord), 8_000);
      if (afterTyped(saved).includes(firstWord)) {
        accepted = { ghost, saved };
        break;
      }
    }
    await wb.screenshot('ghost-text-accepted');
    assert.ok(accepted, 'ghost text appeared and Tab put it into the saved file');
    assert.ok(accepted.saved.includes('export function fibonacci(n: number): number {'), 'what was typed is saved');
    const typedAt = accepted.saved.lastIndexOf(typed);
    assert.ok(typedAt >= 0, `the saved file holds the typed line "${typed}"`);
    const after = accepted.saved.slice(typedAt + typed.length).replace(/\s+/g, ' ').trim();
    // Ghost lines are separate decorations whose DOM order is not the line order, and their text
    // carries no line breaks, so the characters other than whitespace are compared as a multiset:
    // the saved text after the typed line holds exactly the ghost text, nothing more or less.
    const characters = (text: string): string => [...text.replace(/\s+/g, '')].sort().join('');
    assert.equal(characters(after), characters(accepted.ghost), `the saved file continues with the ghost text: "${accepted.ghost.slice(0, 60)}" vs "${after.slice(0, 60)}"`);
  });
});
