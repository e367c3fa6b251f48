/**
 * Markdown to sanitized HTML: markdown-it renders, highlight.js colours code blocks, DOMPurify
 * removes anything active. Raw HTML in model output is never trusted.
 */
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import MarkdownIt from 'markdown-it';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const md = new MarkdownIt({
  html: false,
  linkify: false,
  breaks: false,
  highlight(code: string, lang: string): string {
    const language = lang && hljs.getLanguage(lang) ? lang : undefined;
    const html = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : escapeHtml(code);
    return `<pre class="hljs"><code>${html}</code></pre>`;
  },
});

export interface CodeBlock {
  language: string;
  code: string;
}

/** Rendered HTML plus the raw code of each fenced block, in order. */
export function renderMarkdown(source: string): { html: string; blocks: CodeBlock[] } {
  const tokens = md.parse(source, {});
  const blocks = tokens.filter((t) => t.type === 'fence' || t.type === 'code_block').map((t) => ({ language: t.info.trim().split(/\s+/)[0] ?? '', code: t.content }));
  const html = DOMPurify.sanitize(md.renderer.render(tokens, md.options, {}), { USE_PROFILES: { html: true } });
  return { html, blocks };
}
