/**
 * Messages between the extension host and the chat webview. One discriminated union per
 * direction; both sides validate what they receive with the guards below.
 */
export interface EngineStatusView {
  modelName: string;
  modelPath: string;
  bundled: boolean;
  variant: string;
  executionProvider: string;
  loaded: boolean;
  /**
   * A model asked for that does not answer (yet): it is loading, or it failed to load and why.
   * The fields above always describe the model that really answers, never this one.
   */
  pending?: PendingModelView;
}

export interface PendingModelView {
  state: 'loading' | 'failed';
  modelName: string;
  modelPath: string;
  /** What is wrong with the folder, when it failed. */
  error?: string;
}

export interface ContextChipView {
  id: string;
  /** `codebase`: a chunk of the workspace index, labelled with its path and lines (`src/a.ts:12-40`). */
  kind: 'selection' | 'file' | 'diagnostics' | 'mention' | 'codebase';
  label: string;
  /** Attached by the chat because the question named it, not by the user. */
  auto?: boolean;
  /** The chip opens its file at its lines when clicked. */
  canOpen?: boolean;
}

/** One file of an edit under review, as the chat lists it; the diff itself opens in the editor. */
export interface FileChangeView {
  path: string;
  /** The change creates the file. */
  created: boolean;
  addedLines: number;
  removedLines: number;
}

export type ToolCallStateView = 'waiting-approval' | 'running' | 'done' | 'failed' | 'denied' | 'cancelled';

/** A tool call of an agent answer: where it came in the text, its arguments, state and result. */
export interface ToolCallView {
  id: string;
  name: string;
  /** `builtin` or `mcp:<server>`. */
  source: string;
  permission?: 'read' | 'edit' | 'execute';
  arguments: string;
  state: ToolCallStateView;
  /** Characters of the answer's text before the call. */
  at: number;
  summary?: string;
  changes?: FileChangeView[];
  acceptedPaths?: string[];
  output?: string;
  result?: string;
  isError?: boolean;
}

/** Agent mode as the composer shows it. */
export interface AgentView {
  enabled: boolean;
  /** Tools the answers may call now (built-in and from MCP servers). */
  toolCount: number;
  /** Tools the user allowed for this session. */
  allowances: string[];
  /** The workspace is not trusted: only reading tools run. */
  restricted: boolean;
}

export interface TurnView {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: number;
  context?: ContextChipView[];
  templateId?: string;
  partial?: boolean;
  stopped?: boolean;
  error?: string;
  stats?: { promptTokens: number; generatedTokens: number; timeToFirstTokenMs: number; tokensPerSecond: number; stopReason: string };
  toolCalls?: ToolCallView[];
  notices?: string[];
}

export interface ConversationSummaryView {
  id: string;
  title: string;
  updatedAt: number;
  turnCount: number;
}

export interface SlashCommandView {
  name: string;
  title: string;
  description: string;
  /** The pack the template comes from, as a reader names it: `built-in pack`, `user pack my-prompts`. */
  source: string;
}

export interface SummaryView {
  text: string;
  turnIds: string[];
  /** Written by the model; else a plain extract of the questions and the code names. */
  byModel: boolean;
}

export interface ChatStateView {
  conversations: ConversationSummaryView[];
  current: { id: string; title: string; turns: TurnView[] } | undefined;
  busy: boolean;
  streamingTurnId: string | undefined;
  /** Tokens of the last prompt sent, and the model's context window. */
  promptTokens: number;
  /** `promptTokens` is an estimate: the backend has no tokenizer of the model (a remote server), or it was not loaded yet. */
  promptTokensEstimated: boolean;
  contextTokens: number;
  /** Earlier turns left out of the last prompt because of the context window. */
  droppedTurnIds: string[];
  /** The summary sent in place of the dropped turns, when there was one. */
  summary?: SummaryView;
  /** Context attached to the next message: what the user attached, then what the index found for the draft. */
  pending: ContextChipView[];
  /** Why `@codebase` in the draft brings nothing now (the index is off or still building). */
  codebaseNote?: string;
  slashCommands: SlashCommandView[];
  /** Absent where the chat has no agent mode. */
  agent?: AgentView;
}

export type HostToWebview =
  | { type: 'host/status'; status: EngineStatusView }
  | { type: 'chat/state'; state: ChatStateView }
  | { type: 'chat/delta'; turnId: string; text: string }
  | { type: 'chat/notice'; level: 'info' | 'error'; message: string }
  | { type: 'chat/prompt'; text: string }
  | { type: 'chat/draft'; text: string }
  /** Text the context picker chose for the input (`@codebase `), put where the `@` was typed. */
  | { type: 'chat/insert'; text: string };

export type CodeAction = 'copy' | 'insert' | 'apply' | 'saveAs';
export const CODE_ACTIONS: readonly CodeAction[] = ['copy', 'insert', 'apply', 'saveAs'];

export type ContextRequest = 'selection' | 'file' | 'diagnostics' | 'mention';
export const CONTEXT_REQUESTS: readonly ContextRequest[] = ['selection', 'file', 'diagnostics', 'mention'];

export type WebviewToHost =
  | { type: 'webview/ready' }
  | { type: 'webview/openLog' }
  | { type: 'chat/send'; text: string }
  | { type: 'chat/cancel' }
  | { type: 'chat/new' }
  | { type: 'chat/select'; id: string }
  | { type: 'chat/delete'; id: string }
  | { type: 'chat/regenerate' }
  | { type: 'chat/editLast'; text: string }
  | { type: 'chat/inspectPrompt'; text: string }
  | { type: 'context/add'; kind: ContextRequest }
  /** The draft as it stands, so that the host shows the chunks it would attach as chips. */
  | { type: 'context/preview'; text: string }
  | { type: 'context/remove'; id: string }
  /** Opens the file of a chip (attached or cited by an answer) at its lines. */
  | { type: 'context/open'; id: string }
  | { type: 'code/action'; action: CodeAction; code: string; language: string }
  | { type: 'agent/toggle'; enabled: boolean }
  /** The user's answer to a call that waits: for edits, the files accepted (the others rejected). */
  | { type: 'agent/approve'; callId: string; decision: ApprovalDecision; acceptedPaths?: string[] }
  /** Opens the diff of one file of an edit under review. */
  | { type: 'agent/diff'; callId: string; path: string };

export type ApprovalDecision = 'allow' | 'allow-session' | 'deny';
export const APPROVAL_DECISIONS: readonly ApprovalDecision[] = ['allow', 'allow-session', 'deny'];

/** Most files one review may name. */
const MAX_REVIEW_PATHS = 1_000;

/** Longest text the host accepts from the webview (characters). */
export const MAX_MESSAGE_CHARS = 200_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isText(value: unknown, max = MAX_MESSAGE_CHARS): value is string {
  return typeof value === 'string' && value.length <= max;
}

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (!isRecord(value) || typeof value['type'] !== 'string') {
    return false;
  }
  const type = value['type'] as WebviewToHost['type'];
  switch (type) {
    case 'webview/ready':
    case 'webview/openLog':
    case 'chat/cancel':
    case 'chat/new':
    case 'chat/regenerate':
      return true;
    case 'chat/send':
    case 'chat/editLast':
    case 'chat/inspectPrompt':
    case 'context/preview':
      return isText(value['text']);
    case 'chat/select':
    case 'chat/delete':
    case 'context/remove':
    case 'context/open':
      // Ids of index chunks carry their path.
      return isText(value['id'], 2_000);
    case 'context/add':
      return (CONTEXT_REQUESTS as readonly unknown[]).includes(value['kind']);
    case 'code/action':
      return (CODE_ACTIONS as readonly unknown[]).includes(value['action']) && isText(value['code']) && isText(value['language'], 100);
    case 'agent/toggle':
      return typeof value['enabled'] === 'boolean';
    case 'agent/approve':
      return (
        isText(value['callId'], 200) &&
        (APPROVAL_DECISIONS as readonly unknown[]).includes(value['decision']) &&
        (value['acceptedPaths'] === undefined || (Array.isArray(value['acceptedPaths']) && value['acceptedPaths'].length <= MAX_REVIEW_PATHS && value['acceptedPaths'].every((p) => isText(p, 4_096))))
      );
    case 'agent/diff':
      return isText(value['callId'], 200) && isText(value['path'], 4_096);
    default: {
      // Unknown message types are rejected; the assignment keeps the switch exhaustive.
      const exhaustive: never = type;
      void exhaustive;
      return false;
    }
  }
}

function isStatus(s: unknown): s is EngineStatusView {
  return (
    isRecord(s) &&
    typeof s['modelName'] === 'string' &&
    typeof s['modelPath'] === 'string' &&
    typeof s['bundled'] === 'boolean' &&
    typeof s['variant'] === 'string' &&
    typeof s['executionProvider'] === 'string' &&
    typeof s['loaded'] === 'boolean' &&
    (s['pending'] === undefined || isPending(s['pending']))
  );
}

function isPending(p: unknown): p is PendingModelView {
  return (
    isRecord(p) &&
    (p['state'] === 'loading' || p['state'] === 'failed') &&
    typeof p['modelName'] === 'string' &&
    typeof p['modelPath'] === 'string' &&
    (p['error'] === undefined || typeof p['error'] === 'string')
  );
}

function isState(s: unknown): s is ChatStateView {
  return (
    isRecord(s) &&
    Array.isArray(s['conversations']) &&
    (s['current'] === undefined || (isRecord(s['current']) && Array.isArray(s['current']['turns']))) &&
    typeof s['busy'] === 'boolean' &&
    typeof s['promptTokens'] === 'number' &&
    typeof s['promptTokensEstimated'] === 'boolean' &&
    typeof s['contextTokens'] === 'number' &&
    Array.isArray(s['droppedTurnIds']) &&
    (s['summary'] === undefined || (isRecord(s['summary']) && typeof s['summary']['text'] === 'string' && Array.isArray(s['summary']['turnIds']))) &&
    Array.isArray(s['pending']) &&
    (s['codebaseNote'] === undefined || typeof s['codebaseNote'] === 'string') &&
    Array.isArray(s['slashCommands']) &&
    (s['agent'] === undefined || (isRecord(s['agent']) && typeof s['agent']['enabled'] === 'boolean' && typeof s['agent']['toolCount'] === 'number'))
  );
}

export function isHostToWebview(value: unknown): value is HostToWebview {
  if (!isRecord(value) || typeof value['type'] !== 'string') {
    return false;
  }
  const type = value['type'] as HostToWebview['type'];
  switch (type) {
    case 'host/status':
      return isStatus(value['status']);
    case 'chat/state':
      return isState(value['state']);
    case 'chat/delta':
      return typeof value['turnId'] === 'string' && typeof value['text'] === 'string';
    case 'chat/notice':
      return (value['level'] === 'info' || value['level'] === 'error') && typeof value['message'] === 'string';
    case 'chat/prompt':
    case 'chat/draft':
    case 'chat/insert':
      return typeof value['text'] === 'string';
    default: {
      // Unknown message types are rejected; the assignment keeps the switch exhaustive.
      const exhaustive: never = type;
      void exhaustive;
      return false;
    }
  }
}
