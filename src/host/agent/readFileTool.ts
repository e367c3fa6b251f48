/** read_file: a workspace file's lines, numbered, within the result limit. */
import { ToolInputError, type AgentTool } from '../../agent/types';
import { numberedLines } from './numberedLines';
import { optionalInteger, requiredString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';
import { resolveWorkspacePath } from './workspacePath';
import { readWorkspaceText } from './workspaceText';

const PARAMETERS = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path relative to the workspace folder.' },
    start_line: { type: 'integer', minimum: 1, description: 'First line to read (1-based). Default: 1.' },
    end_line: { type: 'integer', minimum: 1, description: 'Last line to read (inclusive). Default: the end of the file.' },
  },
  required: ['path'],
  additionalProperties: false,
};

export function readFileTool(context: ToolContext): AgentTool {
  return {
    definition: toolDefinition(context, 'read_file', PARAMETERS),
    permission: 'read',
    source: 'builtin',
    async run(args) {
      const target = resolveWorkspacePath(context.roots(), requiredString(args, 'path'));
      const startLine = optionalInteger(args, 'start_line', 1, Number.MAX_SAFE_INTEGER);
      const endLine = optionalInteger(args, 'end_line', 1, Number.MAX_SAFE_INTEGER);
      const read = await readWorkspaceText(target, context.limits.readMaxBytes);
      switch (read.kind) {
        case 'missing':
          throw new ToolInputError(`${target.display} does not exist; list_files shows which files do.`);
        case 'binary':
          return { text: `${target.display} is a binary file (${read.size} bytes); its content is not shown.` };
        case 'text':
          return { text: numberedLines(target.display, read.text, { startLine, endLine, maxChars: context.limits.resultMaxChars }, read.partial) };
        default: {
          const never: never = read;
          throw new Error(`unexpected read ${JSON.stringify(never)}`);
        }
      }
    },
  };
}
