/**
 * The default path offered by "save as new file" for a chat code block. The fence's language is
 * model output (or pasted text), so it only selects an extension from a fixed map; it never
 * becomes part of the path itself, and the file always lands directly in the workspace folder.
 */
import * as path from 'node:path';

/** Code fence languages (lower case) and the extension of their files. */
const EXTENSIONS: ReadonlyMap<string, string> = new Map([
  ['typescript', 'ts'], ['ts', 'ts'], ['tsx', 'tsx'], ['javascript', 'js'], ['js', 'js'], ['jsx', 'jsx'], ['mjs', 'mjs'], ['cjs', 'cjs'],
  ['python', 'py'], ['py', 'py'], ['rust', 'rs'], ['rs', 'rs'], ['go', 'go'], ['golang', 'go'], ['java', 'java'], ['kotlin', 'kt'], ['kt', 'kt'],
  ['scala', 'scala'], ['swift', 'swift'], ['objective-c', 'm'], ['objc', 'm'], ['csharp', 'cs'], ['cs', 'cs'], ['c#', 'cs'], ['fsharp', 'fs'], ['f#', 'fs'],
  ['cpp', 'cpp'], ['c++', 'cpp'], ['cc', 'cpp'], ['c', 'c'], ['h', 'h'], ['hpp', 'hpp'], ['ruby', 'rb'], ['rb', 'rb'], ['php', 'php'], ['perl', 'pl'],
  ['lua', 'lua'], ['r', 'r'], ['dart', 'dart'], ['haskell', 'hs'], ['elixir', 'ex'], ['erlang', 'erl'], ['clojure', 'clj'], ['julia', 'jl'], ['zig', 'zig'],
  ['shell', 'sh'], ['bash', 'sh'], ['sh', 'sh'], ['zsh', 'zsh'], ['fish', 'fish'], ['powershell', 'ps1'], ['ps1', 'ps1'], ['bat', 'bat'], ['cmd', 'cmd'],
  ['json', 'json'], ['jsonc', 'jsonc'], ['yaml', 'yaml'], ['yml', 'yml'], ['toml', 'toml'], ['ini', 'ini'], ['xml', 'xml'], ['markdown', 'md'], ['md', 'md'],
  ['html', 'html'], ['css', 'css'], ['scss', 'scss'], ['less', 'less'], ['vue', 'vue'], ['svelte', 'svelte'], ['sql', 'sql'], ['graphql', 'graphql'],
  ['dockerfile', 'dockerfile'], ['makefile', 'mk'], ['cmake', 'cmake'], ['text', 'txt'], ['plaintext', 'txt'], ['diff', 'diff'], ['proto', 'proto'],
]);

/** What a fence language may look like to be looked up at all (`c++`, `c#`, `objective-c`). */
const LANGUAGE_SHAPE = /^[A-Za-z0-9+#-]{1,16}$/;

/** The extension for a fence language: from the map, else `txt`. */
export function snippetExtension(language: string): string {
  if (!LANGUAGE_SHAPE.test(language)) {
    return 'txt';
  }
  return EXTENSIONS.get(language.toLowerCase()) ?? 'txt';
}

/** `snippet.<ext>` directly in `folder` (a URI path, with forward slashes). */
export function snippetDefaultPath(folder: string, language: string): string {
  return path.posix.join(folder, `snippet.${snippetExtension(language)}`);
}
