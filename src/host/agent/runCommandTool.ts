/**
 * run_command: a shell command in a workspace folder, its output streamed to the chat and echoed
 * in the agent's terminal, ended by its time limit or by cancellation (the whole process tree).
 */
import { promises as fs } from 'node:fs';
import { ToolInputError, type AgentTool, type ToolResult } from '../../agent/types';
import type { CommandEcho } from './agentTerminal';
import { runShellCommand, type CommandOutcome } from './shellCommand';
import { optionalInteger, optionalString, requiredString, type ToolArgs } from './toolArgs';
import { toolDefinition, type ToolContext } from './toolContext';
import { realPathInside, resolveWorkspacePath, type WorkspacePath } from './workspacePath';

interface CommandCall {
  readonly command: string;
  readonly cwd: WorkspacePath;
  readonly timeoutSeconds: number;
}

function parameters(context: ToolContext): Record<string, unknown> {
  const { commandDefaultSeconds, commandMaxSeconds } = context.limits;
  return {
    type: 'object',
    properties: {
      command: { type: 'string', description: 'The shell command line, e.g. `npm test`.' },
      cwd: { type: 'string', description: 'Folder to run it in, relative to the workspace folder. Default: the workspace folder.' },
      timeout_seconds: { type: 'integer', minimum: 1, maximum: commandMaxSeconds, description: `Time limit in seconds. Default: ${commandDefaultSeconds}.` },
    },
    required: ['command'],
    additionalProperties: false,
  };
}

async function readCall(context: ToolContext, args: ToolArgs): Promise<CommandCall> {
  const command = requiredString(args, 'command');
  if (command.trim().length === 0) {
    throw new ToolInputError('`command` is empty.');
  }
  const roots = context.roots();
  const cwd = resolveWorkspacePath(roots, optionalString(args, 'cwd') ?? (roots[0]?.path ?? '.'));
  const { real, exists } = await realPathInside(cwd);
  if (!exists || !(await fs.stat(real)).isDirectory()) {
    throw new ToolInputError(`\`cwd\` ${cwd.display} is not a folder of the workspace.`);
  }
  const timeoutSeconds = optionalInteger(args, 'timeout_seconds', 1, context.limits.commandMaxSeconds) ?? context.limits.commandDefaultSeconds;
  return { command, cwd, timeoutSeconds };
}

function endLine(outcome: CommandOutcome, timeoutSeconds: number): string {
  switch (outcome.end) {
    case 'exited':
      return outcome.exitCode !== null ? `exit code ${outcome.exitCode}` : `ended by signal ${outcome.exitSignal ?? 'unknown'}`;
    case 'timed-out':
      return `stopped after the time limit of ${timeoutSeconds} s; the command and the processes it started were killed`;
    case 'cancelled':
      return 'cancelled by the user; the command and the processes it started were killed';
    case 'failed-to-start':
      return `could not start: ${outcome.error ?? 'unknown error'}`;
    default: {
      const never: never = outcome.end;
      throw new Error(`unexpected end ${String(never)}`);
    }
  }
}

function result(call: CommandCall, outcome: CommandOutcome): ToolResult {
  const output = outcome.receivedChars === 0 ? '(no output)' : outcome.output.replace(/\n$/, '');
  const text = `$ ${call.command}\n(in ${call.cwd.display})\n${output}\n[${endLine(outcome, call.timeoutSeconds)}]`;
  return outcome.end === 'exited' && outcome.exitCode === 0 ? { text } : { text, isError: true };
}

export function runCommandTool(context: ToolContext, echo: CommandEcho | undefined): AgentTool {
  return {
    definition: toolDefinition(context, 'run_command', parameters(context)),
    permission: 'execute',
    source: 'builtin',
    async preview(args) {
      const call = await readCall(context, args);
      return { summary: `Run \`${call.command}\` in ${call.cwd.display} (time limit ${call.timeoutSeconds} s)` };
    },
    async run(args, { signal, onOutput }) {
      const call = await readCall(context, args);
      echo?.started(call.command, call.cwd.display);
      const outcome = await runShellCommand({
        command: call.command,
        cwd: call.cwd.absolute,
        timeoutMs: call.timeoutSeconds * 1000,
        signal,
        // The output the model gets leaves room for the command line and the end line.
        maxOutputChars: Math.max(1000, context.limits.resultMaxChars - call.command.length - 400),
        onOutput: (text) => {
          echo?.output(text);
          onOutput?.(text);
        },
      });
      echo?.ended(endLine(outcome, call.timeoutSeconds));
      return result(call, outcome);
    },
  };
}
