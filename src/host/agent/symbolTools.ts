/**
 * find_definition and find_references: where a symbol is defined or used, from the language's
 * definition or reference provider. The two differ only in the provider they ask.
 */
import type { AgentTool } from '../../agent/types';
import { symbolLocations, type SymbolCommand } from './symbolLocations';
import { optionalString, requiredString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';

const SYMBOL_PARAMETERS = {
  type: 'object',
  properties: {
    symbol: { type: 'string', description: 'The name of the function, class, variable or type, e.g. `parseConfig`.' },
    path: { type: 'string', description: 'A file (relative to the workspace folder) that uses or defines the symbol. Default: found by a workspace symbol search.' },
  },
  required: ['symbol'],
  additionalProperties: false,
};

function symbolTool(context: ToolContext, name: string, command: SymbolCommand): AgentTool {
  return {
    definition: toolDefinition(context, name, SYMBOL_PARAMETERS),
    permission: 'read',
    source: 'builtin',
    async run(args, { signal }) {
      const text = await symbolLocations(context, command, requiredString(args, 'symbol'), optionalString(args, 'path'), signal);
      return { text };
    },
  };
}

export function findDefinitionTool(context: ToolContext): AgentTool {
  return symbolTool(context, 'find_definition', 'vscode.executeDefinitionProvider');
}

export function findReferencesTool(context: ToolContext): AgentTool {
  return symbolTool(context, 'find_references', 'vscode.executeReferenceProvider');
}
