/**
 * Which tree-sitter grammar cuts a language, and which language a file on disk is in (the
 * index walks files that are not open, so it has no editor languageId for them).
 */

/** The grammars shipped in `dist/grammars/` (from @vscode/tree-sitter-wasm). */
export const GRAMMARS = ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust', 'java', 'cpp'] as const;
export type GrammarName = (typeof GRAMMARS)[number];

const GRAMMAR_OF_LANGUAGE: Readonly<Record<string, GrammarName>> = {
  typescript: 'typescript',
  typescriptreact: 'tsx',
  javascript: 'javascript',
  // tree-sitter-javascript parses JSX itself; the tsx grammar would accept TypeScript-only syntax.
  javascriptreact: 'javascript',
  python: 'python',
  go: 'go',
  rust: 'rust',
  java: 'java',
  // No C grammar is shipped: C parses with the C++ grammar, whose C subset covers C code
  // (C-only syntax such as a variable named `class` comes out as an error node, cut by lines).
  c: 'cpp',
  cpp: 'cpp',
};

/**
 * VS Code languageIds by lowercase file extension. Languages without a grammar here are still
 * worth indexing: they are cut into line windows.
 */
const LANGUAGE_OF_EXTENSION: Readonly<Record<string, string>> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescriptreact',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascriptreact',
  '.py': 'python',
  '.pyi': 'python',
  '.go': 'go',
  '.rs': 'rust',
  '.java': 'java',
  '.c': 'c',
  // A header is as often C++ as C; both parse with the same grammar.
  '.h': 'c',
  '.cc': 'cpp',
  '.cpp': 'cpp',
  '.cxx': 'cpp',
  '.c++': 'cpp',
  '.hh': 'cpp',
  '.hpp': 'cpp',
  '.hxx': 'cpp',
  '.h++': 'cpp',
  '.ipp': 'cpp',
  '.inl': 'cpp',
  '.cs': 'csharp',
  '.rb': 'ruby',
  '.php': 'php',
  '.sh': 'shellscript',
  '.bash': 'shellscript',
  '.swift': 'swift',
  '.kt': 'kotlin',
  '.kts': 'kotlin',
  '.scala': 'scala',
  '.lua': 'lua',
  '.dart': 'dart',
};

/** The languageId of a file by its extension (either slash), or undefined when it is not code the index knows. */
export function languageOfPath(path: string): string | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) {
    return undefined;
  }
  return LANGUAGE_OF_EXTENSION[name.slice(dot).toLowerCase()];
}

/** The grammar that parses a VS Code languageId, or undefined when the language is cut by lines. */
export function grammarOf(languageId: string): GrammarName | undefined {
  return Object.hasOwn(GRAMMAR_OF_LANGUAGE, languageId) ? GRAMMAR_OF_LANGUAGE[languageId] : undefined;
}
