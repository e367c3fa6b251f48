/** Comment markers per language: to tell whether the cursor is in a comment and to write file headers. */
export interface CommentSyntax {
  line?: string;
  block?: readonly [open: string, close: string];
}

const C_LIKE: CommentSyntax = { line: '//', block: ['/*', '*/'] };
const HASH: CommentSyntax = { line: '#' };

const BY_LANGUAGE: Readonly<Record<string, CommentSyntax>> = {
  c: C_LIKE, cpp: C_LIKE, csharp: C_LIKE, java: C_LIKE, javascript: C_LIKE, javascriptreact: C_LIKE,
  typescript: C_LIKE, typescriptreact: C_LIKE, go: C_LIKE, rust: C_LIKE, swift: C_LIKE, kotlin: C_LIKE,
  scala: C_LIKE, dart: C_LIKE, php: C_LIKE, jsonc: C_LIKE, scss: C_LIKE, less: C_LIKE, 'objective-c': C_LIKE,
  css: { block: ['/*', '*/'] },
  python: HASH, ruby: HASH, shellscript: HASH, perl: HASH, r: HASH, yaml: HASH, toml: HASH,
  dockerfile: HASH, makefile: HASH, powershell: { line: '#', block: ['<#', '#>'] }, elixir: HASH,
  lua: { line: '--', block: ['--[[', ']]'] }, sql: { line: '--', block: ['/*', '*/'] }, haskell: { line: '--', block: ['{-', '-}'] },
  html: { block: ['<!--', '-->'] }, xml: { block: ['<!--', '-->'] }, markdown: { block: ['<!--', '-->'] },
  clojure: { line: ';' }, lisp: { line: ';' }, bat: { line: 'REM' }, vb: { line: "'" },
};

/** JSON has no comments; unknown languages get none so that nothing is mistaken for one. */
export function commentSyntax(languageId: string): CommentSyntax {
  return BY_LANGUAGE[languageId] ?? {};
}

/** A header line for the prompt (`// Path: src/a.ts`), or undefined where the language has no comments. */
export function commentLine(languageId: string, text: string): string | undefined {
  const syntax = commentSyntax(languageId);
  if (syntax.line !== undefined) {
    return `${syntax.line} ${text}`;
  }
  if (syntax.block !== undefined) {
    return `${syntax.block[0]} ${text} ${syntax.block[1]}`;
  }
  return undefined;
}
