/** get_problems: the diagnostics VS Code holds, for one file or the whole workspace, errors first. */
import * as vscode from 'vscode';
import type { AgentTool } from '../../agent/types';
import { capText } from './outputCap';
import { optionalString } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';
import { displayPath, resolveWorkspacePath, type WorkspaceRoot } from './workspacePath';

const SEVERITY = ['error', 'warning', 'info', 'hint'] as const;

interface Problem {
  readonly display: string;
  readonly diagnostic: vscode.Diagnostic;
}

const PARAMETERS = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'Only this file (relative to the workspace folder). Default: every file in the workspace.' },
  },
  additionalProperties: false,
};

function workspaceProblems(roots: readonly WorkspaceRoot[]): Problem[] {
  return vscode.languages.getDiagnostics().flatMap(([uri, diagnostics]) => {
    const display = uri.scheme === 'file' ? displayPath(roots, uri.fsPath) : undefined;
    return display === undefined ? [] : diagnostics.map((diagnostic) => ({ display, diagnostic }));
  });
}

function byImportance(a: Problem, b: Problem): number {
  return (
    a.diagnostic.severity - b.diagnostic.severity
    || (a.display < b.display ? -1 : a.display > b.display ? 1 : 0)
    || a.diagnostic.range.start.line - b.diagnostic.range.start.line
    || a.diagnostic.range.start.character - b.diagnostic.range.start.character
  );
}

function formatProblem({ display, diagnostic: d }: Problem): string {
  const source = d.source ? ` (${d.source}${d.code !== undefined ? ` ${typeof d.code === 'object' ? String(d.code.value) : String(d.code)}` : ''})` : '';
  const message = d.message.replace(/\s*\n\s*/g, ' ');
  return `${display}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${SEVERITY[d.severity] ?? 'problem'}: ${message}${source}`;
}

export function getProblemsTool(context: ToolContext): AgentTool {
  const { limits } = context;
  return {
    definition: toolDefinition(context, 'get_problems', PARAMETERS),
    permission: 'read',
    source: 'builtin',
    async run(args) {
      const path = optionalString(args, 'path');
      const roots = context.roots();
      const target = path === undefined ? undefined : resolveWorkspacePath(roots, path);
      const problems = target
        ? vscode.languages.getDiagnostics(vscode.Uri.file(target.absolute)).map((diagnostic) => ({ display: target.display, diagnostic }))
        : workspaceProblems(roots);
      if (problems.length === 0) {
        return { text: `No problems reported${target ? ` for ${target.display}` : ' in the workspace'}.` };
      }
      problems.sort(byImportance);
      const shown = problems.slice(0, limits.problemsMaxResults);
      const counts = SEVERITY.map((name, i) => [name, problems.filter((p) => p.diagnostic.severity === i).length] as const).filter(([, n]) => n > 0);
      const foot = `[${counts.map(([name, n]) => `${n} ${name}${n === 1 ? '' : 's'}`).join(', ')}${shown.length < problems.length ? `; the first ${shown.length} shown` : ''}]`;
      const body = shown.map(formatProblem).join('\n');
      return { text: `${capText(body, limits.resultMaxChars - foot.length - 1, (n) => `[${n} more characters of problems left out]`)}\n${foot}` };
    },
  };
}
