/**
 * The model-facing descriptions of the built-in tools, used where the prompt pack gives none.
 * They say what each tool does, what it returns and its limits, in the words the model needs to
 * call it well.
 */
export const DEFAULT_TOOL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  read_file:
    'Read a text file of the workspace. `path` is relative to the workspace folder. Returns the lines numbered as `12: text`; '
    + 'give start_line and end_line (1-based, inclusive) to read part of a long file. Shows unsaved editor changes. '
    + 'Long output is cut with a note saying where to continue.',
  list_files:
    'List workspace files whose path matches a glob pattern relative to the workspace folder, e.g. `**/*.ts` or `src/**/test_*.py`. '
    + 'Files excluded by the files.exclude setting are left out. Returns one path per line, at most max_results.',
  search_text:
    'Search the text of the workspace files for `query`, a plain string, or a JavaScript regular expression when is_regex is true. '
    + 'Case-insensitive unless the query has an upper-case letter. Restrict the files searched with `glob`. '
    + 'Returns one match per line as `path:line: text`, at most max_results.',
  get_problems:
    'List the errors and warnings (diagnostics) the editor reports, for one file when `path` is given, else for the whole workspace. '
    + 'Returns `path:line:column: severity: message`. Language tools report problems only for files they have looked at.',
  find_definition:
    'Find where a symbol (function, class, variable, type...) is defined, using the editor\'s language support. '
    + 'Give `path` when you know a file that uses or defines the symbol. Returns `path:line: text` for each definition.',
  find_references:
    'Find every place a symbol (function, class, variable, type...) is used, using the editor\'s language support. '
    + 'Give `path` when you know a file that uses or defines the symbol. Returns `path:line: text` for each reference.',
  propose_edits:
    'Propose changes to workspace files; the user reviews them and accepts or rejects each file. Each edit names a `path` and either '
    + 'replaces `old_text` (which must occur exactly once in the file: include enough surrounding lines) with `new_text`, '
    + 'or, without `old_text`, gives the whole new content of the file in `new_text` (this also creates a new file). '
    + 'Several edits to one file apply in order. Returns which files were changed and which the user rejected.',
  run_command:
    'Run a shell command in the workspace (e.g. tests or a build) after the user approves it. `cwd` is a folder relative to the '
    + 'workspace folder. The command gets no input; it is stopped after timeout_seconds (default 60, at most 600). '
    + 'Returns its output (stdout and stderr together; the middle of long output is left out) and its exit code.',
};
