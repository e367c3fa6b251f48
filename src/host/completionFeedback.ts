import * as vscode from 'vscode';
import { Disposable } from '../common/disposable';
import { AcceptanceFeedback, isPartialAccept, type CompletionResult, type FeedbackSink, type ShownSuggestion } from '../completion';

/** Run by VS Code after the user accepts a whole suggestion; its argument is the suggestion's origin. */
export const ACCEPTED_COMMAND = 'autoglm.inlineCompletion.accepted';

interface OnScreen {
  uri: string;
  origin: string;
  suggestion: ShownSuggestion;
}

/**
 * Tells the confidence gate what the user did with each suggestion: whole accepts through the
 * item's command, word-by-word accepts from the edit they make (the editor's stable API has no
 * event for them), rejections when another suggestion takes the place of one not taken.
 */
export class InlineFeedback extends Disposable {
  private feedback: AcceptanceFeedback | undefined;
  private onScreen: OnScreen | undefined;

  constructor() {
    super();
    this.register(vscode.commands.registerCommand(ACCEPTED_COMMAND, (origin: unknown) => this.accepted(origin)));
    this.register(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
  }

  /** Where verdicts go from now on (the current model's gate). */
  useSink(sink: FeedbackSink): void {
    this.feedback = new AcceptanceFeedback(sink);
    this.onScreen = undefined;
  }

  /** Marks `item` as the one shown for `result`, so that accepting it is counted. */
  shown(document: vscode.TextDocument, result: CompletionResult, item: vscode.InlineCompletionItem): void {
    const origin = result.stats.traceId;
    item.command = { command: ACCEPTED_COMMAND, title: 'Suggestion accepted', arguments: [origin] };
    this.feedback?.shown(origin, result.stats.confidence);
    this.onScreen = { uri: document.uri.toString(), origin, suggestion: { offset: result.range.start, text: result.text } };
  }

  get counts(): { accepted: number; rejected: number } {
    return { accepted: this.feedback?.accepted ?? 0, rejected: this.feedback?.rejected ?? 0 };
  }

  private accepted(origin: unknown): void {
    if (typeof origin === 'string') this.feedback?.accept(origin);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const shown = this.onScreen;
    if (shown === undefined || e.document.uri.toString() !== shown.uri || e.contentChanges.length !== 1) return;
    const change = e.contentChanges[0]!;
    if (isPartialAccept(shown.suggestion, { offset: change.rangeOffset, removed: change.rangeLength, inserted: change.text })) {
      this.feedback?.accept(shown.origin);
    }
    this.onScreen = undefined;
  }
}
