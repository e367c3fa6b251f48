/**
 * Conversations and their streamed answers, without an editor: the host feeds it user actions
 * and forwards its events to the webview. One answer streams at a time.
 */
import { randomUUID } from 'node:crypto';
import type { CallRecord } from '../agent/loop';
import type { Approval } from '../agent/types';
import type { Backend, GenerationChunk, GenerationStats } from '../backends/backend';
import { errorMessage, isAbortError } from '../common/errors';
import type { Logger } from '../common/logger';
import { estimateTokens } from '../common/tokens';
import { answerWithTools, settleUnfinishedCalls, type ChatAgent } from './agentTurn';
import { buildContextWindow, turnText } from './contextWindow';
import { streamingSaveIntervalMs, type HistoryStore } from './history';
import { DEFAULT_SUMMARY_PROMPT, summaryFor, summaryTranscript } from './summary';
import { TokenCountCache } from './tokenCounts';
import { summarize, type ChatTurn, type ContextItem, type Conversation, type ConversationSummary } from './types';

export type ChatEvent =
  | { type: 'state' }
  | { type: 'delta'; conversationId: string; turnId: string; text: string }
  | { type: 'done'; conversationId: string; turnId: string }
  | { type: 'error'; conversationId: string; turnId: string | undefined; message: string };

export interface ChatControllerOptions {
  backend: () => Promise<Backend>;
  store: HistoryStore;
  logger: Logger;
  systemPrompt: () => string;
  /** The model's context window in tokens. */
  contextTokens: () => number;
  /** Most tokens of one answer. */
  answerTokens: number;
  temperature: number;
  /**
   * How often a streaming answer is saved at most, so a crash keeps what was said (ms). A big
   * history waits longer (see `streamingSaveIntervalMs`); the end of an answer always saves.
   */
  persistEveryMs: number;
  /** The clock of those saves; `Date.now` unless a test drives it. */
  now?: () => number;
  /**
   * True when the chat model can write a summary of dropped turns (a real model, not the bundled
   * one): it then writes one in the background. Default: never, the plain extract stands in.
   */
  canSummarise?: () => boolean;
  /** The instruction for that summary; default `DEFAULT_SUMMARY_PROMPT`. */
  summaryPrompt?: () => string;
  /** Agent mode: answers may call tools while `agent.enabled()` says so. */
  agent?: ChatAgent;
  onEvent(event: ChatEvent): void;
}

export interface SendInput {
  /** What the user typed; shown in the conversation. */
  content: string;
  context?: ContextItem[];
  /** The prompt a template rendered for this message, sent instead of `content`. */
  prompt?: string;
  templateId?: string;
  /** Ids of the context items the template rendered into `prompt`. */
  contextInPrompt?: string[];
}

export interface WindowSummary {
  text: string;
  /** The dropped turns it stands for. */
  turnIds: string[];
  /** Written by the model; else the plain extract. */
  byModel: boolean;
}

export interface WindowInfo {
  promptTokens: number;
  /** The counts are estimates: the backend has no tokenizer of the model, or it was not at hand yet (a restored conversation). */
  estimated: boolean;
  droppedTurnIds: string[];
  /** Sent in place of the dropped turns. */
  summary?: WindowSummary;
}

type ChatMessageList = ReturnType<typeof buildContextWindow>['messages'];

const NO_WINDOW: WindowInfo = { promptTokens: 0, estimated: false, droppedTurnIds: [] };

/** Most tokens of a model-written summary. */
const SUMMARY_TOKENS = 200;

const TITLE_CHARS = 60;

export class ChatController {
  private conversations: Conversation[] = [];
  private currentId: string | undefined;
  private running: { conversationId: string; turnId: string; abort: AbortController; done: Promise<void> } | undefined;
  private lastWindow: WindowInfo = NO_WINDOW;
  private readonly tokenCounts = new TokenCountCache();
  private disposed = false;
  /** The model summary being written, at most one at a time. */
  private summarising: { abort: AbortController; done: Promise<void> } | undefined;
  /** Tool calls of the answer in flight that wait for the user, by call id. */
  private readonly approvals = new Map<string, (approval: Approval) => void>();

  constructor(private readonly options: ChatControllerOptions) {}

  /** Loads the history; returns a message for the user when the file had to be reset. */
  async init(): Promise<string | undefined> {
    const loaded = await this.options.store.load();
    // An answer that was streaming when the window closed or crashed stays, marked as partial.
    this.conversations = loaded.conversations;
    this.currentId = this.list()[0]?.id;
    await this.countShown();
    if (loaded.problem) {
      this.options.logger.warn('Chat history had a problem', { problem: loaded.problem });
    }
    return loaded.problem;
  }

  list(): ConversationSummary[] {
    return this.conversations.map(summarize).sort((a, b) => b.updatedAt - a.updatedAt);
  }

  current(): Conversation | undefined {
    return this.conversations.find((c) => c.id === this.currentId);
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  get window(): WindowInfo {
    return this.lastWindow;
  }

  newConversation(): void {
    this.currentId = undefined;
    this.lastWindow = NO_WINDOW;
    this.emit({ type: 'state' });
  }

  async select(id: string): Promise<void> {
    if (this.conversations.some((c) => c.id === id)) {
      this.currentId = id;
      await this.countShown();
      this.emit({ type: 'state' });
    }
  }

  /**
   * The prompt size of the conversation shown (its last request), so that a restored one does not
   * read 0. Counted without asking the backend, which may not run yet: with the model's tokenizer
   * when it is at hand, else estimated.
   */
  private async countShown(): Promise<void> {
    const turns = this.current()?.turns ?? [];
    const lastUser = turns.map((t) => t.role).lastIndexOf('user');
    this.lastWindow = NO_WINDOW;
    if (lastUser < 0) {
      return;
    }
    try {
      const backend = await this.options.backend();
      let estimated = backend.info().kind === 'remote';
      const written = this.current()?.summary;
      const asked = turns.slice(0, lastUser + 1);
      const window = buildContextWindow({
        system: this.options.systemPrompt(),
        turns: asked,
        contextTokens: this.options.contextTokens(),
        answerTokens: this.options.answerTokens,
        countTokens: (text) => {
          const exact = backend.countTokensNow(text);
          estimated ||= exact === undefined;
          return exact ?? estimateTokens(text);
        },
        summarise: (dropped) => summaryFor(dropped, written).text,
      });
      this.lastWindow = windowInfo(window, estimated, asked, written);
    } catch (err) {
      this.options.logger.debug('The restored conversation was not counted', { error: err });
    }
  }

  async delete(id: string): Promise<void> {
    if (this.running?.conversationId === id) {
      await this.cancel();
    }
    this.conversations = this.conversations.filter((c) => c.id !== id);
    if (this.currentId === id) {
      this.currentId = this.list()[0]?.id;
      await this.countShown();
    }
    await this.persist();
    this.emit({ type: 'state' });
  }

  async send(input: SendInput): Promise<void> {
    let conversation = this.current();
    if (!conversation) {
      const now = Date.now();
      const firstLine = input.content.trim().split('\n')[0] ?? '';
      conversation = {
        id: randomUUID(),
        title: firstLine.length > TITLE_CHARS ? `${firstLine.slice(0, TITLE_CHARS - 1)}…` : firstLine || 'New chat',
        createdAt: now,
        updatedAt: now,
        turns: [],
      };
      this.conversations.push(conversation);
      this.currentId = conversation.id;
    }
    conversation.turns.push({
      id: randomUUID(),
      role: 'user',
      content: input.content,
      createdAt: Date.now(),
      ...(input.context && input.context.length > 0 ? { context: input.context } : {}),
      ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
      ...(input.templateId !== undefined ? { templateId: input.templateId } : {}),
      ...(input.contextInPrompt && input.contextInPrompt.length > 0 ? { contextInPrompt: input.contextInPrompt } : {}),
    });
    await this.answer(conversation);
  }

  /** Answers the last user message again, replacing the previous answer. */
  async regenerate(): Promise<void> {
    const conversation = this.current();
    if (!conversation || this.busy) {
      return;
    }
    while (conversation.turns.length > 0 && conversation.turns[conversation.turns.length - 1]!.role === 'assistant') {
      conversation.turns.pop();
    }
    if (conversation.turns.length > 0) {
      await this.answer(conversation);
    }
  }

  /** Replaces the last user message (and what followed it) with `content`, then answers. */
  async editLast(content: string): Promise<void> {
    const conversation = this.current();
    if (!conversation || this.busy) {
      return;
    }
    const index = conversation.turns.map((t) => t.role).lastIndexOf('user');
    if (index < 0) {
      return;
    }
    const previous = conversation.turns[index]!;
    conversation.turns.splice(index);
    await this.send({ content, ...(previous.context ? { context: previous.context } : {}) });
  }

  /** Stops the streaming answer; what was generated so far is kept. */
  async cancel(): Promise<void> {
    const running = this.running;
    if (running) {
      running.abort.abort();
      await running.done;
    }
  }

  /** The exact messages the model receives for the current conversation (for inspection). */
  async inspectPrompt(): Promise<string> {
    const conversation = this.current();
    if (!conversation) {
      return this.options.systemPrompt();
    }
    const lastUser = conversation.turns.map((t) => t.role).lastIndexOf('user');
    const turns = conversation.turns.slice(0, lastUser + 1);
    const backend = await this.options.backend();
    const window = await this.window_(backend, turns, conversation.summary);
    return window.messages.map((m) => `### ${m.role}\n${m.content}`).join('\n\n');
  }

  private async window_(backend: Backend, turns: readonly ChatTurn[], written: Conversation['summary'], systemPrompt?: string): Promise<ReturnType<typeof buildContextWindow> & { info: WindowInfo }> {
    const system = systemPrompt ?? this.options.systemPrompt();
    const info = backend.info();
    const counted = await this.tokenCounts.countAll(`${info.kind}:${info.modelName}`, [system, ...turns.map(turnText)], (text) => backend.countTokens(text));
    const window = buildContextWindow({
      system,
      turns,
      contextTokens: this.options.contextTokens(),
      answerTokens: this.options.answerTokens,
      countTokens: (text) => counted(text) ?? estimateTokens(text),
      summarise: (dropped) => summaryFor(dropped, written).text,
    });
    // A remote server's tokenizer is out of reach: its backend estimates.
    return { ...window, info: windowInfo(window, info.kind === 'remote', turns, written) };
  }

  /** The model's summary of the turns the last window dropped, written in the background for the next send. */
  private summariseLater(conversation: Conversation): void {
    const dropped = conversation.turns.filter((t) => this.lastWindow.droppedTurnIds.includes(t.id));
    const already = conversation.summary?.turnIds.join('|') === dropped.map((t) => t.id).join('|');
    if (dropped.length === 0 || already || this.summarising || this.disposed || !(this.options.canSummarise?.() ?? false)) {
      return;
    }
    const abort = new AbortController();
    const done = this.writeSummary(conversation, dropped, abort.signal)
      .catch((err: unknown) => {
        if (!abort.signal.aborted) {
          this.options.logger.warn('The model did not summarise the earlier messages; the plain extract stands in', { error: err });
        }
      })
      .finally(() => (this.summarising = undefined));
    this.summarising = { abort, done };
  }

  private async writeSummary(conversation: Conversation, dropped: readonly ChatTurn[], signal: AbortSignal): Promise<void> {
    const backend = await this.options.backend();
    const stream = backend.chat(
      {
        messages: [
          { role: 'system', content: this.options.summaryPrompt?.() ?? DEFAULT_SUMMARY_PROMPT },
          { role: 'user', content: summaryTranscript(dropped) },
        ],
        maxTokens: SUMMARY_TOKENS,
        temperature: 0.2,
        priority: 'background',
        traceId: randomUUID(),
      },
      signal,
    );
    let text = '';
    for await (const chunk of stream) {
      text += chunk.type === 'text' ? chunk.text : '';
    }
    if (signal.aborted || text.trim() === '' || !this.conversations.includes(conversation)) {
      return;
    }
    conversation.summary = { text: text.trim(), turnIds: dropped.map((t) => t.id) };
    await this.persist();
  }

  /** Settles when the summary being written (if any) is done; for tests and shutdown. */
  summaryWritten(): Promise<void> {
    return this.summarising?.done ?? Promise.resolve();
  }

  private async answer(conversation: Conversation): Promise<void> {
    if (this.running) {
      throw new Error('An answer is already streaming; stop it first.');
    }
    const turn: ChatTurn = { id: randomUUID(), role: 'assistant', content: '', createdAt: Date.now(), partial: true };
    const history = [...conversation.turns];
    conversation.turns.push(turn);
    conversation.updatedAt = turn.createdAt;
    const abort = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.running = { conversationId: conversation.id, turnId: turn.id, abort, done };
    this.emit({ type: 'state' });
    const log = this.options.logger.child({ traceId: turn.id });
    try {
      const backend = await this.options.backend();
      const agent = this.options.agent?.enabled() ? this.options.agent : undefined;
      const window = await this.window_(backend, history, conversation.summary, agent?.systemPrompt());
      this.lastWindow = window.info;
      log.debug('Chat request', { promptTokens: window.promptTokens, dropped: window.droppedTurnIds.length, pinned: window.pinnedItemIds.length, summaryByModel: window.info.summary?.byModel, agent: agent !== undefined });
      const saver = this.streamingSaver();
      const onDelta = (text: string): void => {
        this.emit({ type: 'delta', conversationId: conversation.id, turnId: turn.id, text });
        saver();
      };
      const stats = agent
        ? (await this.agentAnswer(agent, backend, window.messages, turn, abort.signal, onDelta)).stats
        : await this.plainAnswer(backend, window.messages, turn, abort.signal, onDelta);
      if (abort.signal.aborted) {
        turn.stopped = true;
      }
      if (stats) {
        turn.stats = {
          promptTokens: stats.promptTokens,
          generatedTokens: stats.generatedTokens,
          timeToFirstTokenMs: stats.timeToFirstTokenMs,
          tokensPerSecond: stats.tokensPerSecond,
          stopReason: stats.stopReason,
        };
      }
    } catch (err) {
      if (isAbortError(err) || abort.signal.aborted) {
        turn.stopped = true;
      } else {
        turn.error = errorMessage(err);
        log.error('Chat answer failed', { error: err });
        this.emit({ type: 'error', conversationId: conversation.id, turnId: turn.id, message: turn.error });
      }
    } finally {
      delete turn.partial;
      settleUnfinishedCalls(turn.toolCalls);
      this.approvals.clear();
      conversation.updatedAt = Date.now();
      this.running = undefined;
      await this.persist().catch((err: unknown) => log.error('Saving chat history failed', { error: err }));
      this.emit({ type: 'done', conversationId: conversation.id, turnId: turn.id });
      finish();
      this.summariseLater(conversation);
    }
  }

  private async plainAnswer(backend: Backend, messages: ChatMessageList, turn: ChatTurn, signal: AbortSignal, onDelta: (text: string) => void): Promise<GenerationStats | undefined> {
    const stream: AsyncIterable<GenerationChunk> = backend.chat(
      { messages, maxTokens: this.options.answerTokens, temperature: this.options.temperature, priority: 'chat', traceId: turn.id },
      signal,
    );
    let stats: GenerationStats | undefined;
    for await (const chunk of stream) {
      if (chunk.type === 'done') {
        stats = chunk.stats;
      } else if (chunk.type === 'text' && chunk.text !== '') {
        turn.content += chunk.text;
        onDelta(chunk.text);
      }
    }
    return stats;
  }

  private agentAnswer(agent: ChatAgent, backend: Backend, messages: ChatMessageList, turn: ChatTurn, signal: AbortSignal, onDelta: (text: string) => void): ReturnType<typeof answerWithTools> {
    return answerWithTools({
      agent,
      backend,
      messages,
      turn,
      contextTokens: this.options.contextTokens(),
      answerTokens: this.options.answerTokens,
      temperature: this.options.temperature,
      signal,
      countTokens: (text) => backend.countTokensNow(text) ?? estimateTokens(text),
      approve: (call) => this.waitForApproval(call),
      onDelta,
      onChange: () => this.emit({ type: 'state' }),
    });
  }

  private waitForApproval(call: CallRecord): Promise<Approval> {
    return new Promise<Approval>((resolve) => this.approvals.set(call.id, resolve));
  }

  /** The user's answer to a tool call of the answer in flight; false when no call waits under that id. */
  answerApproval(callId: string, approval: Approval): boolean {
    const resolve = this.approvals.get(callId);
    if (!resolve) {
      return false;
    }
    this.approvals.delete(callId);
    resolve(approval);
    return true;
  }

  /** Saves a streaming answer at most every so often, so that a crash keeps what was said. */
  private streamingSaver(): () => void {
    let lastSave = this.now();
    return () => {
      if (this.now() - lastSave >= streamingSaveIntervalMs(this.options.persistEveryMs, this.options.store.bytes)) {
        lastSave = this.now();
        this.persist().catch((err: unknown) => this.options.logger.error('Saving chat history failed', { error: err }));
      }
    };
  }

  /** Stops the answer in flight and saves the history as it stands; no events follow. */
  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    this.running?.abort.abort();
    this.summarising?.abort.abort();
    this.persist().catch((err: unknown) => this.options.logger.error('Saving chat history failed', { error: err }));
  }

  /** One event per change; the host posts one state update for each `state` and `done`. */
  private emit(event: ChatEvent): void {
    if (!this.disposed) {
      this.options.onEvent(event);
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private persist(): Promise<void> {
    return this.options.store.save(this.conversations);
  }
}

/** What the view is told of a window: its size, and the summary that stands for what it dropped. */
function windowInfo(window: ReturnType<typeof buildContextWindow>, estimated: boolean, turns: readonly ChatTurn[], written: Conversation['summary']): WindowInfo {
  const info: WindowInfo = { promptTokens: window.promptTokens, estimated, droppedTurnIds: window.droppedTurnIds };
  if (window.summary === undefined) {
    return info;
  }
  const dropped = turns.filter((t) => window.droppedTurnIds.includes(t.id));
  return { ...info, summary: { text: window.summary, turnIds: window.droppedTurnIds, byModel: summaryFor(dropped, written).byModel } };
}
