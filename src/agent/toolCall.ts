import { errorMessage, isAbortError } from '../common/errors';
import type { ToolCall } from '../protocol/generation';
import type { ArgumentChecker } from './toolArguments';
import type { PermissionPolicy } from './permissions';
import { ToolInputError, type AgentTool, type Approval, type FileChange, type PermissionClass, type ToolCallState, type ToolResult } from './types';

/** One call as the chat shows and keeps it. */
export interface CallRecord {
  id: string;
  name: string;
  /** `builtin`, `mcp:<server>`, or `unknown` for a name no tool has. */
  source: string;
  permission: PermissionClass | undefined;
  arguments: string;
  state: ToolCallState;
  /** What the call would do, from the tool's preview. */
  summary?: string;
  changes?: readonly FileChange[];
  /** Paths of `changes` the user accepted; undefined: all, or no review. */
  acceptedPaths?: readonly string[];
  /** Output while it runs (a command's), capped. */
  output?: string;
  /** What the model is told. */
  result?: string;
  isError?: boolean;
}

export interface CallContext {
  tools: readonly AgentTool[];
  /** Compiles each tool's schema once for the run. */
  checker: ArgumentChecker;
  permissions: PermissionPolicy;
  approve(call: CallRecord): Promise<Approval>;
  signal: AbortSignal;
  onEvent(event: { type: 'call'; call: CallRecord }): void;
}

/** Most characters of running output kept for the view. */
const OUTPUT_CHARS = 20_000;

/**
 * Running output is reported at most this often (ms): each report redraws the conversation, and a
 * command can print thousands of chunks. The output is kept whole in the record meanwhile.
 */
const OUTPUT_REPORT_MS = 200;

/** Checks, approves and runs one call; never throws: a failure is the result the model is told. */
export async function runCall(call: ToolCall, context: CallContext): Promise<CallRecord> {
  const tool = context.tools.find((t) => t.definition.name === call.name);
  const record: CallRecord = { id: call.id, name: call.name, source: tool?.source ?? 'unknown', permission: tool?.permission, arguments: call.arguments, state: 'running' };
  const update = (change: Partial<CallRecord>): void => {
    Object.assign(record, change);
    context.onEvent({ type: 'call', call: { ...record } });
  };
  if (!tool) {
    update({ state: 'failed', result: `There is no tool named "${call.name}". Available tools: ${context.tools.map((t) => t.definition.name).join(', ') || 'none'}.`, isError: true });
    return record;
  }
  const parsed = context.checker.parse(tool, call.arguments);
  if (!parsed.ok) {
    update({ state: 'failed', result: `The call was not run: ${parsed.problem}.`, isError: true });
    return record;
  }
  try {
    await gateAndRun(tool, parsed.args, record, context, update);
  } catch (err) {
    settleFailure(err, context.signal, update);
  }
  return record;
}

async function gateAndRun(
  tool: AgentTool,
  args: Record<string, unknown>,
  record: CallRecord,
  context: CallContext,
  update: (change: Partial<CallRecord>) => void,
): Promise<void> {
  const gate = context.permissions.gate(tool);
  if (gate === 'refuse') {
    update({ state: 'denied', result: `"${tool.definition.name}" may not run: this workspace is not trusted, so only reading tools run.`, isError: true });
    return;
  }
  if (tool.preview) {
    const preview = await tool.preview(args, context.signal);
    update({ summary: preview.summary, ...(preview.changes ? { changes: preview.changes } : {}) });
  }
  let accepted: readonly string[] | undefined;
  if (gate === 'ask') {
    update({ state: 'waiting-approval' });
    const approval = await untilAborted(context.approve({ ...record }), context.signal);
    if (approval.decision === 'deny' || (approval.acceptedPaths !== undefined && approval.acceptedPaths.length === 0)) {
      update({ state: 'denied', result: 'The user declined this call. Do not try it again; continue without it or ask the user.', ...(approval.acceptedPaths ? { acceptedPaths: [] } : {}) });
      return;
    }
    if (approval.decision === 'allow-session') {
      context.permissions.allowForSession(tool);
    }
    accepted = approval.acceptedPaths;
  }
  update({ state: 'running', ...(accepted ? { acceptedPaths: accepted } : {}) });
  const result: ToolResult = await tool.run(args, {
    signal: context.signal,
    ...(accepted ? { acceptedPaths: accepted } : {}),
    onOutput: outputReporter(record, update),
  });
  context.signal.throwIfAborted();
  update({ state: result.isError ? 'failed' : 'done', result: result.text, ...(result.isError ? { isError: true } : {}) });
}

/** Appends running output to the record, and reports it when the last report is old enough. */
function outputReporter(record: CallRecord, update: (change: Partial<CallRecord>) => void): (text: string) => void {
  let reported = -Infinity;
  return (text) => {
    record.output = ((record.output ?? '') + text).slice(-OUTPUT_CHARS);
    const now = Date.now();
    if (now - reported >= OUTPUT_REPORT_MS) {
      reported = now;
      update({});
    }
  };
}

function settleFailure(err: unknown, signal: AbortSignal, update: (change: Partial<CallRecord>) => void): void {
  if (signal.aborted || isAbortError(err)) {
    update({ state: 'cancelled', result: 'The user stopped this call.', isError: true });
  } else if (err instanceof ToolInputError) {
    update({ state: 'failed', result: `The call was not run: ${err.message}`, isError: true });
  } else {
    update({ state: 'failed', result: `The tool failed: ${errorMessage(err)}`, isError: true });
  }
}

/** Settles with `promise`, or rejects when `signal` aborts first (a pending approval on stop). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
