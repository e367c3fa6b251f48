import * as vscode from 'vscode';
import type { CompletionPipeline, CompletionResult } from '../completion';
import { errorMessage, isAbortError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { InlineFeedback } from './completionFeedback';
import { snapshotOf, type RecentDocuments } from './completionSnapshot';
import type { CompletionState } from './statusBar';

export interface InlineCompletionDeps {
  pipeline(): CompletionPipeline;
  recent: RecentDocuments;
  logger: Logger;
  enabled(): boolean;
  setState(state: CompletionState, detail?: string): void;
  feedback: InlineFeedback;
}

/** Neighbour files and their size given to the context stage. */
const NEIGHBOUR_FILES = 5;
const NEIGHBOUR_CHARS = 20_000;

/**
 * The editor side of inline completion: turns the cancellation token into an AbortSignal, builds
 * a plain snapshot, and wraps what the pipeline returns as an InlineCompletionItem.
 */
export class InlineCompletionProvider implements vscode.InlineCompletionItemProvider {
  private snoozedUntil = 0;
  private inFlight = 0;
  /** Shown in the status bar until a later request gets through. */
  private lastError: string | undefined;
  /** Requests handed to the pipeline (not counting those refused while off or snoozed). */
  forwarded = 0;
  /** The last item shown, with its document version; the extension-host tests read it. */
  lastShown: { uri: string; version: number; result: CompletionResult; alternatives: CompletionResult[] } | undefined;

  constructor(private readonly deps: InlineCompletionDeps) {}

  snooze(minutes: number): void {
    this.snoozedUntil = Date.now() + minutes * 60_000;
    this.refreshState();
  }

  resume(): void {
    this.snoozedUntil = 0;
    this.refreshState();
  }

  get snoozed(): boolean {
    return Date.now() < this.snoozedUntil;
  }

  refreshState(): void {
    if (!this.deps.enabled()) {
      this.deps.setState('off');
    } else if (this.snoozed) {
      this.deps.setState('snoozed', new Date(this.snoozedUntil).toLocaleTimeString());
    } else if (this.inFlight > 0) {
      this.deps.setState('generating');
    } else if (this.lastError !== undefined) {
      this.deps.setState('error', this.lastError);
    } else {
      this.deps.setState('ready');
    }
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!this.deps.enabled() || this.snoozed) {
      this.refreshState();
      return undefined;
    }
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    this.forwarded++;
    this.inFlight++;
    this.refreshState();
    try {
      const snapshot = snapshotOf(document, position, context, this.deps.recent.neighbours(document, NEIGHBOUR_FILES, NEIGHBOUR_CHARS));
      // An explicit request (Alt+\\, or Alt+] asking for the next suggestion) is not gated and offers the alternative too.
      const explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
      const pipeline = this.deps.pipeline();
      const result = await pipeline.provide(snapshot, controller.signal, { explicit });
      this.lastError = undefined;
      if (!result || token.isCancellationRequested) {
        return undefined;
      }
      const alternatives = explicit ? await pipeline.alternativesFor(snapshot, result, controller.signal) : [];
      if (token.isCancellationRequested) {
        return undefined;
      }
      this.lastShown = { uri: document.uri.toString(), version: document.version, result, alternatives };
      return [this.item(document, result), ...alternatives.map((a) => this.item(document, a, false))];
    } catch (err) {
      if (isAbortError(err) || controller.signal.aborted) {
        return undefined;
      }
      this.lastError = errorMessage(err);
      this.deps.logger.error('Inline completion failed', { error: err, languageId: document.languageId });
      return undefined;
    } finally {
      subscription.dispose();
      this.inFlight--;
      this.refreshState();
    }
  }

  /** The item for `result`; the first one is what is on screen until the user cycles. */
  private item(document: vscode.TextDocument, result: CompletionResult, onScreen = true): vscode.InlineCompletionItem {
    const range = new vscode.Range(document.positionAt(result.range.start), document.positionAt(result.range.end));
    const item = new vscode.InlineCompletionItem(result.text, range);
    if (onScreen) this.deps.feedback.shown(document, result, item);
    return item;
  }
}
