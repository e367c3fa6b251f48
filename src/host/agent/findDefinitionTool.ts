/** find_definition: where a symbol is defined, from the language's definition provider. */
import type { AgentTool } from '../../agent/types';
import { symbolLocations } from './symbolLocations';
import { optionalString, requiredString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';

export const SYMBOL_PARAMETERS = {
  type: 'object',
  properties: {
    symbol: { type: 'string', description: 'The name of the function, class, variable or type, e.g. `parseConfig`.' },
    path: { type: 'string', description: 'A file (relative to the workspace folder) that uses or defines the symbol. Default: found by a workspace symbol search.' },
  },
  required: ['symbol'],
  additionalProperties: false,
};

export function findDefinitionTool(context: ToolContext): AgentTool {
  return {
    definition: toolDefinition(context, 'find_definition', SYMBOL_PARAMETERS),
    permission: 'read',
    source: 'builtin',
    async run(args, { signal }) {
      const text = await symbolLocations(context, 'vscode.executeDefinitionProvider', requiredString(args, 'symbol'), optionalString(args, 'path'), signal);
      return { text };
    },
  };
}
