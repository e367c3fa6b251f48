/** search_text: matching lines of the workspace's files as `path:line: text`. */
import type { AgentTool } from '../../agent/types';
import { checkRelativeGlob } from './globPattern';
import { capText } from './outputCap';
import { TextMatcher } from './textMatcher';
import { searchWorkspace, type SearchOutcome } from './textSearch';
import { optionalBoolean, optionalInteger, optionalString, requiredString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';

const STOP_NOTES = {
  results: 'stopped at max_results; narrow the query or the glob to see others',
  files: 'more files match the glob than one search reads; narrow the glob',
  bytes: 'stopped at the limit on bytes read; narrow the glob',
  time: 'stopped at the time limit (a regular expression that backtracks a lot, or too many files); simplify the query or narrow the glob',
} as const;

function summary(outcome: SearchOutcome): string {
  const parts = [`${outcome.lines.length} matches in ${outcome.filesMatched} files (${outcome.filesSearched} files searched)`];
  const { large, binary, outside } = outcome.skipped;
  if (large + binary + outside > 0) {
    parts.push(`skipped: ${[large && `${large} too large`, binary && `${binary} binary`, outside && `${outside} linked outside the workspace`].filter(Boolean).join(', ')}`);
  }
  if (outcome.stop) {
    parts.push(STOP_NOTES[outcome.stop]);
  }
  return `[${parts.join('; ')}]`;
}

export function searchTextTool(context: ToolContext): AgentTool {
  const { limits } = context;
  const parameters = {
    type: 'object',
    properties: {
      query: { type: 'string', description: 'Text to find, or a JavaScript regular expression when is_regex is true.' },
      is_regex: { type: 'boolean', description: 'Treat query as a regular expression. Default: false.' },
      glob: { type: 'string', description: 'Only search files whose workspace path matches this glob, e.g. `src/**/*.ts`. Default: every file.' },
      max_results: { type: 'integer', minimum: 1, maximum: limits.searchMaxResults, description: `Most matching lines to return. Default: ${limits.searchDefaultResults}.` },
    },
    required: ['query'],
    additionalProperties: false,
  };
  return {
    definition: toolDefinition(context, 'search_text', parameters),
    permission: 'read',
    source: 'builtin',
    async run(args, { signal }) {
      const query = requiredString(args, 'query');
      const matcher = new TextMatcher(query, optionalBoolean(args, 'is_regex') ?? false);
      const glob = checkRelativeGlob(optionalString(args, 'glob') ?? '**/*');
      const maxResults = optionalInteger(args, 'max_results', 1, limits.searchMaxResults) ?? limits.searchDefaultResults;
      const outcome = await searchWorkspace(context.roots(), { matcher, glob, maxResults }, limits, signal);
      const body = outcome.lines.length === 0 ? `No matches for \`${query}\`.` : outcome.lines.join('\n');
      const foot = summary(outcome);
      return { text: `${capText(body, limits.resultMaxChars - foot.length - 1, (n) => `[${n} more characters of matches left out]`)}\n${foot}` };
    },
  };
}
