/** list_files: workspace paths matching a glob. */
import type { AgentTool } from '../../agent/types';
import { checkRelativeGlob } from './globPattern';
import { capText } from './outputCap';
import { optionalInteger, requiredString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';
import { findWorkspaceFiles } from './workspaceFiles';

export function listFilesTool(context: ToolContext): AgentTool {
  const { limits } = context;
  const parameters = {
    type: 'object',
    properties: {
      glob: { type: 'string', description: 'Glob pattern relative to the workspace folder, e.g. `**/*.ts`.' },
      max_results: { type: 'integer', minimum: 1, maximum: limits.listMaxResults, description: `Most paths to return. Default: ${limits.listDefaultResults}.` },
    },
    required: ['glob'],
    additionalProperties: false,
  };
  return {
    definition: toolDefinition(context, 'list_files', parameters),
    permission: 'read',
    source: 'builtin',
    async run(args, { signal }) {
      const glob = checkRelativeGlob(requiredString(args, 'glob'));
      const max = optionalInteger(args, 'max_results', 1, limits.listMaxResults) ?? limits.listDefaultResults;
      const { files, more } = await findWorkspaceFiles(context.roots(), glob, max, signal);
      if (files.length === 0) {
        return { text: `No files match \`${glob}\`.` };
      }
      const note = more ? `\n[the first ${files.length} paths; more files match: narrow the glob or raise max_results]` : '';
      const list = files.map((f) => f.display).join('\n') + note;
      return { text: capText(list, limits.resultMaxChars, (n) => `[${n} more characters of paths left out: narrow the glob]`) };
    },
  };
}
