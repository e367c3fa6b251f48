/**
 * Markdown to sanitized HTML: markdownHtml.ts renders (within its size limit), DOMPurify removes
 * anything active. Raw HTML in model output is never trusted.
 */
import DOMPurify from 'dompurify';
import { renderMarkdownHtml, type CodeBlock } from './markdownHtml';

export type { CodeBlock } from './markdownHtml';

/** Rendered, sanitized HTML plus the raw code of each fenced block, in order. */
export function renderMarkdown(source: string): { html: string; blocks: CodeBlock[] } {
  const { html, blocks } = renderMarkdownHtml(source);
  return { html: DOMPurify.sanitize(html, { USE_PROFILES: { html: true } }), blocks };
}
