import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const css = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'media', 'chat.css'), 'utf8');

/** `selector { declarations }` pairs of a flat stylesheet (no nesting, no at-rules). */
function rules(text: string): { selectors: string[]; body: string }[] {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '');
  return [...withoutComments.matchAll(/([^{}]+)\{([^}]*)\}/g)].map((m) => ({ selectors: m[1]!.split(',').map((s) => s.trim()), body: m[2]! }));
}

function colourOf(selector: string): string | undefined {
  const rule = rules(css).find((r) => r.selectors.includes(selector));
  return rule && /(?:^|;)\s*color:\s*([^;]+)/.exec(rule.body)?.[1]?.trim();
}

describe('chat code block colours', () => {
  it("gives code blocks the editor's foreground, not the preformatted-text colour VS Code puts on every code element", () => {
    assert.equal(colourOf('.hljs code'), 'var(--vscode-editor-foreground)');
  });

  it('colours only tokens, each from a theme variable with no fixed fallback colour that suits one theme only', () => {
    const tokenRules = rules(css).filter((r) => r.selectors.some((s) => s.startsWith('.hljs-')));
    for (const selector of ['.hljs-keyword', '.hljs-string', '.hljs-number', '.hljs-comment', '.hljs-title', '.hljs-type', '.hljs-attr']) {
      assert.ok(tokenRules.some((r) => r.selectors.includes(selector)), `${selector} has a colour`);
    }
    for (const r of tokenRules) {
      const colour = /(?:^|;)\s*color:\s*([^;]+)/.exec(r.body)?.[1]?.trim();
      if (colour !== undefined) {
        assert.match(colour, /^var\(--vscode-[\w-]+\)$/, `${r.selectors.join(', ')}: ${colour}`);
        assert.doesNotMatch(colour, /error/i, `${r.selectors.join(', ')} must not read as an error`);
      }
    }
  });
});
