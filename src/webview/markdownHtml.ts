/**
 * Markdown to HTML without the DOM: markdown-it renders, highlight.js colours code blocks. The
 * result still goes through DOMPurify (markdown.ts) before it reaches the page.
 *
 * The work is bounded: markdown-it's inline rules grow faster than linearly on some inputs (a
 * few hundred thousand spaced backticks, emphasis openers or brackets took seconds, and a
 * streamed answer is rendered again on every frame), so only the first MARKDOWN_RENDER_LIMIT
 * characters of a message are parsed as Markdown and the rest is shown as escaped plain text.
 */
import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';

/** Characters (UTF-16 units) of one message rendered as Markdown: 100 000, far above any ordinary answer. */
export const MARKDOWN_RENDER_LIMIT = 100_000;

/** Longest code block coloured by highlight.js: 20 000 characters; a longer one is shown escaped, uncoloured (highlighting costs about 10 ms per KB). */
export const HIGHLIGHT_LIMIT = 20_000;

/** How far back from the limit the cut looks for a line end, so that the rest starts on a line of its own. */
const LINE_SEARCH = 4096;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const md = new MarkdownIt({
  html: false,
  linkify: false,
  breaks: false,
  highlight(code: string, lang: string): string {
    const language = lang && code.length <= HIGHLIGHT_LIMIT && hljs.getLanguage(lang) ? lang : undefined;
    const html = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : escapeHtml(code);
    return `<pre class="hljs"><code>${html}</code></pre>`;
  },
});

export interface CodeBlock {
  language: string;
  code: string;
}

/** Where to cut `source` at `limit`: after a line end close before it, never between the halves of a surrogate pair. */
export function markdownCut(source: string, limit = MARKDOWN_RENDER_LIMIT): number {
  if (source.length <= limit) {
    return source.length;
  }
  const lineEnd = source.lastIndexOf('\n', limit - 1);
  if (lineEnd >= limit - LINE_SEARCH) {
    return lineEnd + 1;
  }
  const high = source.charCodeAt(limit - 1);
  return high >= 0xd800 && high <= 0xdbff ? limit - 1 : limit;
}

function overflowHtml(rest: string): string {
  return `<p class="markdown-overflow-note">The last ${rest.length} characters are shown as plain text: the message is too long to format.</p><pre class="markdown-overflow">${escapeHtml(rest)}</pre>`;
}

/** Rendered HTML (not yet sanitized) plus the raw code of each fenced block, in order. */
export function renderMarkdownHtml(source: string): { html: string; blocks: CodeBlock[] } {
  const cut = markdownCut(source);
  const tokens = md.parse(source.slice(0, cut), {});
  const blocks = tokens.filter((t) => t.type === 'fence' || t.type === 'code_block').map((t) => ({ language: t.info.trim().split(/\s+/)[0] ?? '', code: t.content }));
  const html = md.renderer.render(tokens, md.options, {});
  return { html: cut < source.length ? html + overflowHtml(source.slice(cut)) : html, blocks };
}
