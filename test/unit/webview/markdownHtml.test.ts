/**
 * The chat's Markdown rendering without the DOM (markdown-it and highlight.js; DOMPurify runs in
 * the webview only): hostile model output is rendered within a bounded amount of work.
 */
import * as assert from 'node:assert/strict';
import { HIGHLIGHT_LIMIT, MARKDOWN_RENDER_LIMIT, renderMarkdownHtml } from '../../../src/webview/markdownHtml';

const OVERFLOW = /<pre class="markdown-overflow">/;

describe('chat Markdown rendering of hostile text', function () {
  this.timeout(60_000);

  it('renders ordinary Markdown and lists its code blocks', () => {
    const r = renderMarkdownHtml('**bold** and `x`\n\n```ts\nconst a = 1;\n```\n');
    assert.match(r.html, /<strong>bold<\/strong>/);
    assert.match(r.html, /<code>x<\/code>/);
    assert.deepEqual(r.blocks, [{ language: 'ts', code: 'const a = 1;\n' }]);
    assert.doesNotMatch(r.html, OVERFLOW);
  });

  it('never passes raw HTML through', () => {
    assert.doesNotMatch(renderMarkdownHtml('<img src=x onerror=alert(1)>').html, /<img/);
  });

  const HOSTILE: Array<[string, string]> = [
    ['200 000 spaced backticks', '` '.repeat(200_000)],
    ['200 000 spaced double backticks', '`` '.repeat(200_000)],
    ['backtick runs of every length', Array.from({ length: 3000 }, (_, i) => '`'.repeat((i % 300) + 1)).join(' ')],
    ['100 000 unclosed emphasis openers', '*a '.repeat(100_000)],
    ['200 000 open brackets', '['.repeat(200_000)],
    ['a 1 MB fenced code block', '```js\n' + 'let x = "a" + `b${1}`;\n'.repeat(45_000) + '```\n'],
  ];
  for (const [kind, text] of HOSTILE) {
    it(`${kind}: Markdown up to the limit, the rest as plain preformatted text`, () => {
      assert.ok(text.length > MARKDOWN_RENDER_LIMIT);
      const r = renderMarkdownHtml(text);
      assert.match(r.html, OVERFLOW);
      const tail = /<pre class="markdown-overflow">([\s\S]*)<\/pre>/.exec(r.html)?.[1] ?? '';
      assert.ok(tail.length >= text.length - MARKDOWN_RENDER_LIMIT, 'all of the rest is shown');
      assert.ok(r.html.length > text.length / 2, 'the text is in the output');
    });
  }

  it('the plain rest is escaped and not parsed', () => {
    const r = renderMarkdownHtml('a'.repeat(MARKDOWN_RENDER_LIMIT) + '\n<script>alert(1)</script> **not bold** & "q"');
    assert.match(r.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; \*\*not bold\*\* &amp; &quot;q&quot;/);
    assert.doesNotMatch(r.html, /<script>/);
    assert.doesNotMatch(r.html, /<strong>not bold/);
  });

  it('cuts at a line end near the limit and never inside a surrogate pair', () => {
    const line = 'x'.repeat(99) + '\n';
    const r = renderMarkdownHtml(line.repeat(MARKDOWN_RENDER_LIMIT / 100 + 10));
    const tail = /<pre class="markdown-overflow">([\s\S]*)<\/pre>/.exec(r.html)?.[1] ?? '';
    assert.match(tail, /^x{99}\n/, 'the rest starts at the start of a line');
    const emoji = renderMarkdownHtml('\u{1F600}'.repeat(MARKDOWN_RENDER_LIMIT));
    assert.doesNotMatch(emoji.html, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/, 'no lone surrogate');
  });

  it('colours a code block up to its limit, shows a longer one escaped without colours', () => {
    const small = renderMarkdownHtml('```js\nconst a = "<b>";\n```\n');
    assert.match(small.html, /hljs-keyword/);
    const code = 'const a = "<b>";\n'.repeat(Math.ceil(HIGHLIGHT_LIMIT / 17) + 1);
    const large = renderMarkdownHtml('```js\n' + code + '```\n');
    assert.doesNotMatch(large.html, /hljs-keyword/);
    assert.match(large.html, /const a = &quot;&lt;b&gt;&quot;;/);
    assert.equal(large.blocks[0]!.code, code);
  });

  it('a fence cut by the limit still lists its code block', () => {
    const r = renderMarkdownHtml('```py\n' + 'print(1)\n'.repeat(20_000));
    assert.equal(r.blocks.length, 1);
    assert.equal(r.blocks[0]!.language, 'py');
    assert.match(r.html, OVERFLOW);
  });
});
