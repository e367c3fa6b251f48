/** find_references: where a symbol is used, from the language's reference provider. */
import type { AgentTool } from '../../agent/types';
import { SYMBOL_PARAMETERS } from './findDefinitionTool';
import { symbolLocations } from './symbolLocations';
import { optionalString, requiredString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';

export function findReferencesTool(context: ToolContext): AgentTool {
  return {
    definition: toolDefinition(context, 'find_references', SYMBOL_PARAMETERS),
    permission: 'read',
    source: 'builtin',
    async run(args, { signal }) {
      const text = await symbolLocations(context, 'vscode.executeReferenceProvider', requiredString(args, 'symbol'), optionalString(args, 'path'), signal);
      return { text };
    },
  };
}
