import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScriptedChatServer, type ChatRequestBody, type ScriptedReply } from '../harness/scriptedChatServer';
import { useWorkbench } from '../harness/workbench';

const MODEL = 'scripted-agent';
const CART_BEFORE = 'export function priceOf(item: CartItem): number {';
const CART_AFTER = 'export function linePrice(item: CartItem): number {';
const SHIPPING_BEFORE = 'export const FREE_SHIPPING_FROM = 50;';

/**
 * The model's side of the conversation: it reads the file the question names, answers from what
 * the tool returned, and proposes a two-file edit when asked to. Every reply depends on what the
 * chat actually sent (the tools offered, the tool results), so a broken hop shows.
 */
function script(request: ChatRequestBody): ScriptedReply {
  const last = request.messages.at(-1)!;
  const offered = new Set((request.tools ?? []).map((t) => t.function.name));
  if (last.role === 'tool') {
    const previous = request.messages.filter((m) => m.role === 'assistant').at(-1)?.tool_calls?.[0]?.function.name;
    if (previous === 'read_file') {
      const declared = /export interface (\w+)/.exec(last.content ?? '')?.[1] ?? 'nothing';
      return { text: `The file declares the interface **${declared}** and the functions it prices items with.` };
    }
    return { text: `Done: ${(last.content ?? '').split('\n')[0]}` };
  }
  const question = last.content ?? '';
  if (/rename/i.test(question) && offered.has('propose_edits')) {
    return {
      text: 'Here is the change. ',
      calls: [
        {
          name: 'propose_edits',
          arguments: {
            edits: [
              { path: 'src/shop/cart.ts', old_text: CART_BEFORE, new_text: CART_AFTER },
              { path: 'src/shop/shipping.ts', old_text: SHIPPING_BEFORE, new_text: 'export const FREE_SHIPPING_FROM = 60;' },
            ],
          },
        },
      ],
    };
  }
  // Checked after the rename: the user turn also carries the context the chat attached, file names included.
  if (/cart\.ts/.test(question) && offered.has('read_file')) {
    return { text: 'Let me read it. ', calls: [{ name: 'read_file', arguments: { path: 'src/shop/cart.ts' } }] };
  }
  return { text: `No tools were offered (${[...offered].join(', ') || 'none'}).` };
}

describe('GUI: agent mode reads a file, proposes a two-file edit, applies the accepted file, and undo restores it', function () {
  this.timeout(300_000);
  let server: ScriptedChatServer | undefined;
  before(async () => {
    server = await ScriptedChatServer.start(MODEL, script);
  });
  after(async () => {
    await server?.stop();
  });
  const workbench = useWorkbench(() => ({ 'autoglm.backend.chat': 'remote', 'autoglm.remote.baseUrl': server!.baseUrl, 'autoglm.remote.model': MODEL, 'autoglm.remote.contextTokens': 32768 }));

  it('answers from a file it was not given, then reviews and applies one of two files', async () => {
    const wb = workbench();
    const { page } = wb;
    await page.locator('.activitybar .action-item[aria-label^="Open AutoGLM"], .activitybar a[aria-label^="Open AutoGLM"]').first().click();
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const input = frame.locator('#input');
    await frame.locator('#status-line[data-state]').waitFor({ timeout: 60_000 });
    const toggle = frame.locator('#agent-toggle');
    await toggle.waitFor({ timeout: 30_000 });
    await toggle.click();
    await frame.locator('#agent-toggle[aria-pressed="true"]').waitFor({ timeout: 10_000 });

    await input.fill('What does src/shop/cart.ts declare?');
    await input.press('Enter');
    const first = frame.locator('.turn.assistant').first();
    await first.locator('.tool-call[data-state="done"] .tool-name', { hasText: 'read_file' }).waitFor({ timeout: 60_000 });
    await first.locator('.stats').waitFor({ timeout: 60_000 });
    assert.match(await first.locator('.turn-body').innerText(), /interface\s+CartItem/);
    assert.ok(server!.requests[0]!.tools!.some((t) => t.function.name === 'propose_edits'), 'the chat offered the built-in tools');
    await first.locator('.tool-result summary').click();
    await wb.screenshot('agent-read');

    await input.fill('Rename priceOf to linePrice and raise the free shipping threshold');
    await input.press('Enter');
    const second = frame.locator('.turn.assistant').nth(1);
    const review = second.locator('.tool-call[data-state="waiting-approval"]');
    await review.waitFor({ timeout: 60_000 });
    assert.deepEqual(await review.locator('.tool-change-path').allInnerTexts(), ['src/shop/cart.ts', 'src/shop/shipping.ts']);
    await review.locator('.tool-change-path', { hasText: 'shipping.ts' }).click();
    // VS Code's diff editor: the proposed text on the right side.
    await page.locator('.monaco-diff-editor .editor.modified .view-lines', { hasText: 'FREE_SHIPPING_FROM = 60' }).first().waitFor({ timeout: 30_000 });
    await wb.screenshot('agent-review-diff');
    await review.locator('.tool-change[data-path="src/shop/shipping.ts"] input[type="checkbox"]').uncheck();
    await wb.screenshot('agent-review');
    await review.locator('button.approve').click();
    await second.locator('.tool-call[data-state="done"]').waitFor({ timeout: 60_000 });
    await second.locator('.stats').waitFor({ timeout: 60_000 });
    assert.deepEqual(await second.locator('.tool-change-verdict').allInnerTexts(), ['accepted', 'rejected']);
    await wb.screenshot('agent-applied');

    const cart = path.join(wb.workspace, 'src', 'shop', 'cart.ts');
    const shipping = path.join(wb.workspace, 'src', 'shop', 'shipping.ts');
    const shippingBefore = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'workspace', 'src', 'shop', 'shipping.ts'), 'utf8');
    const cartBefore = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'workspace', 'src', 'shop', 'cart.ts'), 'utf8');
    assert.equal(fs.readFileSync(cart, 'utf8'), cartBefore.replace(CART_BEFORE, CART_AFTER), 'exactly the accepted change is on disk');
    assert.equal(fs.readFileSync(shipping, 'utf8'), shippingBefore, 'the rejected file is untouched');

    // Undo in the edited file puts it back.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('cart.ts');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'cart.ts' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines', { hasText: 'linePrice' }).first().click();
    await page.keyboard.press('Control+Z');
    const end = Date.now() + 20_000;
    while (fs.readFileSync(cart, 'utf8') !== cartBefore && Date.now() < end) {
      await page.keyboard.press('Control+S');
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(fs.readFileSync(cart, 'utf8'), cartBefore, 'undo restored the file');
  });
});
