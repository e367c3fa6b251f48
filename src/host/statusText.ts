/**
 * The status bar item's words, apart from the item: a Markdown tooltip for the eye and a plain
 * label for screen readers, which would read Markdown syntax aloud.
 */
import type { EngineStatusView } from '../protocol/webview';
import { pendingSentence } from './modelInfo';

export type CompletionState = 'ready' | 'generating' | 'off' | 'snoozed' | 'error';

/** What inline completion is doing; `detail` says why (the error, or until when it is snoozed). */
function stateSentence(state: CompletionState, detail: string): string {
  switch (state) {
    case 'ready':
      return 'Inline completions are on.';
    case 'generating':
      return 'Generating a completion...';
    case 'off':
      return 'Inline completions are off.';
    case 'snoozed':
      return `Inline completions are snoozed${detail ? ` until ${detail}` : ''}.`;
    case 'error':
      return `Last request failed: ${detail}`;
    default: {
      const never: never = state;
      throw new Error(`Unhandled completion state ${String(never)}`);
    }
  }
}

const loadState = (e: EngineStatusView): string => (e.loaded ? 'loaded' : 'loads on first request');
const bundledNote = (e: EngineStatusView): string => (e.bundled ? ' (bundled)' : '');

/**
 * The item's own words: the model that answers, or the one loading; a failed switch keeps the
 * name of the model that still answers, with a warning icon (the tooltip says what is wrong).
 */
export function statusBarText(e: EngineStatusView, icon: string): string {
  if (e.pending?.state === 'loading') {
    return `$(loading~spin) loading ${e.pending.modelName}…`;
  }
  if (e.pending?.state === 'failed') {
    return `$(warning) ${e.loaded ? e.modelName : 'no model'}`;
  }
  return `${icon} ${e.modelName}`;
}

const pendingLines = (e: EngineStatusView): string[] => (e.pending ? [pendingSentence(e)] : []);

export function statusTooltipMarkdown(e: EngineStatusView, state: CompletionState, detail: string): string {
  return [
    `**Open AutoGLM**: ${stateSentence(state, detail)}`,
    ...pendingLines(e),
    `Model: \`${e.modelName}\`${bundledNote(e)}, ${loadState(e)}`,
    `Variant: ${e.variant}, execution provider: ${e.executionProvider}`,
    'Click for options.',
  ].join('\n\n');
}

export function statusAccessibleLabel(e: EngineStatusView, state: CompletionState, detail: string): string {
  const sentence = stateSentence(state, detail);
  return [
    `Open AutoGLM: ${/[.!?]$/.test(sentence) ? sentence : `${sentence}.`}`,
    ...pendingLines(e),
    `Model ${e.modelName}${bundledNote(e)}, ${loadState(e)}.`,
    `Variant ${e.variant}, execution provider ${e.executionProvider}.`,
  ].join(' ');
}
