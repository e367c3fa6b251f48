import * as assert from 'node:assert/strict';
import { DEFAULT_SYSTEM_PROMPT, renderSystemPrompt } from '../../../src/chat/systemPrompt';
import { estimateTokens } from '../../../src/common/tokens';
import type { TemplateCatalog } from '../../../src/templates';

function catalogWith(render: (input: Readonly<Record<string, unknown>>) => string): TemplateCatalog {
  return { get: (id: string) => (id === 'system' ? { render: (input: Readonly<Record<string, unknown>>) => ({ text: render(input) }) } : undefined) } as unknown as TemplateCatalog;
}

describe('chat system prompt', () => {
  it("renders the pack's system template with the workspace name", () => {
    const errors: unknown[] = [];
    const text = renderSystemPrompt({ catalog: catalogWith((v) => `Helping with ${String(v['workspaceName'])}.`), workspaceName: 'shop', countTokens: estimateTokens, onRenderError: (e) => errors.push(e) });
    assert.equal(text, 'Helping with shop.');
    assert.deepEqual(errors, []);
  });

  it('falls back to the built-in prompt while packs load, and when the template fails, saying why', () => {
    const errors: unknown[] = [];
    const input = { workspaceName: 'w', countTokens: estimateTokens, onRenderError: (e: unknown) => errors.push(e) };
    assert.equal(renderSystemPrompt({ ...input, catalog: undefined }), DEFAULT_SYSTEM_PROMPT);
    const broken = catalogWith(() => {
      throw new Error('unknown helper');
    });
    assert.equal(renderSystemPrompt({ ...input, catalog: broken }), DEFAULT_SYSTEM_PROMPT);
    assert.equal((errors[0] as Error).message, 'unknown helper');
  });
});
