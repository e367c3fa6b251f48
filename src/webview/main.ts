import {
  isHostToWebview,
  type ChatStateView,
  type ContextChipView,
  type CodeAction,
  type ContextRequest,
  type EngineStatusView,
  type SlashCommandView,
  type TurnView,
  type WebviewToHost,
} from '../protocol/webview';
import { el, iconButton } from './dom';
import { renderMarkdown } from './markdown';
import { insertMention, startsMention } from './mention';
import { matchSlash, slashHint } from './slash';
import { renderAnswer } from './toolCalls';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (message: WebviewToHost): void => vscode.postMessage(message);

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the chat view`);
  return node as T;
};

const messages = byId<HTMLDivElement>('messages');
const input = byId<HTMLTextAreaElement>('input');
const sendButton = byId<HTMLButtonElement>('send');
const stopButton = byId<HTMLButtonElement>('stop');
const chips = byId<HTMLDivElement>('chips');
const tokens = byId<HTMLSpanElement>('tokens');
const history = byId<HTMLDivElement>('history');
const suggestions = byId<HTMLUListElement>('suggestions');
const notice = byId<HTMLDivElement>('notice');
const promptView = byId<HTMLPreElement>('prompt-view');
const statusLine = byId<HTMLDivElement>('status-line');
const agentToggle = byId<HTMLButtonElement>('agent-toggle');

let state: ChatStateView | undefined;
let streamText = '';
let streamTurnId: string | undefined;
let pendingFrame = 0;
let selectedSuggestion = 0;
let previewTimer: ReturnType<typeof setTimeout> | undefined;
/** How long typing pauses before the host is asked which chunks the draft would bring (ms). */
const PREVIEW_DELAY_MS = 300;

/** A chip's text: its label, and a mark when the chat attached it because the question named it. */
function chipText(c: ContextChipView): string {
  return c.auto ? `${c.label} (auto)` : c.label;
}

/** A chip's label opens its file at its lines, where it has one. */
function openable(label: HTMLElement, c: ContextChipView): HTMLElement {
  if (c.canOpen) {
    label.classList.add('chip-link');
    label.setAttribute('role', 'link');
    label.setAttribute('tabindex', '0');
    label.addEventListener('click', () => post({ type: 'context/open', id: c.id }));
    label.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') post({ type: 'context/open', id: c.id });
    });
  }
  return label;
}

function chipTitle(c: ContextChipView): string | undefined {
  return c.auto ? 'Added automatically: the question names it' : c.kind === 'codebase' ? 'Found by @codebase in the workspace index' : undefined;
}

function codeBlockActions(pre: HTMLElement, code: string, language: string): void {
  const act = (action: CodeAction) => () => post({ type: 'code/action', action, code, language });
  const bar = el('div', { className: 'code-actions', attrs: { role: 'toolbar', 'aria-label': 'Code block actions' } }, [
    iconButton('copy', 'Copy', act('copy'), 'code-copy'),
    iconButton('insert', 'Insert at cursor', act('insert'), 'code-insert'),
    iconButton('diff', 'Apply to selection or file (shows a diff)', act('apply'), 'code-apply'),
    iconButton('new-file', 'Save as new file', act('saveAs'), 'code-save'),
  ]);
  pre.before(bar);
}

function renderBody(target: HTMLElement, content: string): void {
  const { html, blocks } = renderMarkdown(content);
  target.innerHTML = html;
  target.querySelectorAll('pre').forEach((pre, i) => {
    const block = blocks[i];
    if (block) codeBlockActions(pre, block.code, block.language);
  });
}

/** An answer: plain Markdown, or with its tool calls where they came in the text. */
function renderAssistant(body: HTMLElement, content: string, calls: TurnView['toolCalls']): void {
  if (calls?.length) {
    renderAnswer(body, content, calls, renderBody, post);
  } else {
    renderBody(body, content);
  }
}

function turnNode(turn: TurnView, dropped: boolean, summarised: boolean, streaming: boolean): HTMLElement {
  const badges: string[] = [];
  if (turn.partial && !streaming) badges.push('interrupted');
  if (turn.stopped) badges.push('stopped');
  if (dropped) badges.push(summarised ? 'summarised: outside the context window' : 'not sent: outside the context window');
  const header = el('div', { className: 'turn-header' }, [
    el('span', { className: 'role', text: turn.role === 'user' ? 'You' : 'Open AutoGLM' }),
    ...badges.map((b) => el('span', { className: 'badge', text: b })),
  ]);
  const body = el('div', { className: 'turn-body' });
  if (turn.role === 'user') {
    body.textContent = turn.content;
  } else {
    renderAssistant(body, turn.content, turn.toolCalls);
  }
  const node = el('article', { className: `turn ${turn.role}${dropped ? ' dropped' : ''}`, attrs: { 'data-turn-id': turn.id, 'aria-label': turn.role === 'user' ? 'Your message' : 'Answer' } }, [header]);
  if (turn.context?.length) {
    const cited = turn.context.map((c) => openable(el('span', { className: `chip static ${c.kind}${c.auto ? ' auto' : ''}`, text: chipText(c), ...(chipTitle(c) ? { title: chipTitle(c)! } : {}) }), c));
    node.append(el('div', { className: 'turn-context', attrs: { 'aria-label': 'Context sent with this message' } }, cited));
  }
  node.append(body);
  for (const text of turn.notices ?? []) node.append(el('div', { className: 'agent-notice', text, attrs: { role: 'note' } }));
  if (turn.error) node.append(el('div', { className: 'error', text: turn.error, attrs: { role: 'alert' } }));
  if (turn.stats) {
    node.append(el('div', { className: 'stats', text: `${turn.stats.generatedTokens} tokens, ${turn.stats.tokensPerSecond.toFixed(0)} tok/s, first token ${turn.stats.timeToFirstTokenMs.toFixed(0)} ms` }));
  }
  return node;
}

/** Where the dropped turns end: what the model was given of them instead. */
function summaryMarker(text: string, byModel: boolean): HTMLElement {
  return el('details', { className: 'summary-marker', attrs: { 'data-summary': byModel ? 'model' : 'extract' } }, [
    el('summary', { text: byModel ? 'Earlier messages summarised' : 'Earlier messages summarised (questions and code names)' }),
    el('p', { className: 'summary-text', text }),
  ]);
}

function renderState(s: ChatStateView): void {
  state = s;
  const dropped = new Set(s.droppedTurnIds);
  const turns = s.current?.turns ?? [];
  const summarised = new Set(s.summary?.turnIds ?? []);
  messages.replaceChildren(...turns.map((t) => turnNode(t, dropped.has(t.id), summarised.has(t.id), t.id === s.streamingTurnId)));
  if (s.summary) messages.querySelector(`[data-turn-id="${CSS.escape(s.summary.turnIds.at(-1) ?? '')}"]`)?.after(summaryMarker(s.summary.text, s.summary.byModel));
  if (turns.length === 0) {
    messages.append(el('p', { className: 'empty', text: 'Ask about your code. Type / for commands; attach the selection, a file or problems with the buttons below.' }));
  }
  streamTurnId = s.streamingTurnId;
  streamText = turns.find((t) => t.id === s.streamingTurnId)?.content ?? '';
  const lastUser = [...turns].reverse().find((t) => t.role === 'user');
  byId('regenerate').toggleAttribute('disabled', s.busy || !lastUser);
  byId('edit-last').toggleAttribute('disabled', s.busy || !lastUser);
  sendButton.hidden = s.busy;
  stopButton.hidden = !s.busy;
  messages.setAttribute('aria-busy', String(s.busy));
  chips.replaceChildren(
    ...s.pending.map((c) =>
      el('span', { className: `chip ${c.kind}${c.auto ? ' auto' : ''}`, attrs: { 'data-chip-id': c.id }, ...(chipTitle(c) ? { title: chipTitle(c)! } : {}) }, [
        openable(el('span', { text: chipText(c) }), c),
        iconButton('close', `Remove ${c.label}`, () => post({ type: 'context/remove', id: c.id }), 'chip-remove'),
      ]),
    ),
    ...(s.codebaseNote !== undefined ? [el('span', { className: 'chip-note', text: s.codebaseNote, attrs: { role: 'status' } })] : []),
  );
  renderAgentToggle(s);
  tokens.textContent = s.promptTokensEstimated ? `≈ ${s.promptTokens} / ${s.contextTokens} tokens (estimated)` : `${s.promptTokens} / ${s.contextTokens} tokens`;
  history.replaceChildren(
    ...s.conversations.map((c) => {
      const open = el('button', { className: `history-item${c.id === s.current?.id ? ' current' : ''}`, attrs: { type: 'button' } }, [
        el('span', { className: 'title', text: c.title }),
        el('span', { className: 'date', text: new Date(c.updatedAt).toLocaleString() }),
      ]);
      open.addEventListener('click', () => post({ type: 'chat/select', id: c.id }));
      return el('div', { className: 'history-row' }, [open, iconButton('trash', `Delete ${c.title}`, () => post({ type: 'chat/delete', id: c.id }))]);
    }),
  );
  messages.scrollTop = messages.scrollHeight;
}

function renderAgentToggle(s: ChatStateView): void {
  agentToggle.hidden = s.agent === undefined;
  if (!s.agent) return;
  const { enabled, toolCount, allowances, restricted } = s.agent;
  agentToggle.setAttribute('aria-pressed', String(enabled));
  agentToggle.classList.toggle('on', enabled);
  const allowed = allowances.length > 0 ? ` Allowed for this session: ${allowances.join(', ')}.` : '';
  agentToggle.title = `${enabled ? 'Agent mode on' : 'Agent mode off'}: answers ${enabled ? 'may' : 'do not'} call ${toolCount} tools.${restricted ? ' This workspace is not trusted: only reading tools run.' : ''}${allowed}`;
}

function applyDelta(turnId: string, text: string): void {
  if (turnId !== streamTurnId) {
    streamTurnId = turnId;
    streamText = '';
  }
  streamText += text;
  if (pendingFrame === 0) {
    pendingFrame = requestAnimationFrame(() => {
      pendingFrame = 0;
      const body = messages.querySelector<HTMLElement>(`[data-turn-id="${CSS.escape(streamTurnId ?? '')}"] .turn-body`);
      if (body) {
        renderAssistant(body, streamText, state?.current?.turns.find((t) => t.id === streamTurnId)?.toolCalls);
        messages.scrollTop = messages.scrollHeight;
      }
    });
  }
}

/** The model that answers; a model loading or failed to load is named beside it, never in its place. */
function renderStatus(status: EngineStatusView): void {
  const answering = `${status.modelName}${status.bundled ? ' (bundled)' : ''} · ${status.variant} · ${status.executionProvider} · ${status.loaded ? 'loaded' : 'loads on first request'}`;
  const pending = status.pending;
  if (pending?.state === 'loading') {
    statusLine.textContent = `loading ${pending.modelName}… · ${answering}`;
  } else if (pending?.state === 'failed') {
    const still = status.loaded ? `${status.modelName} still answers` : 'no model answers';
    statusLine.textContent = `Could not load ${pending.modelPath}: ${pending.error ?? 'unknown error'} · ${still}`;
  } else {
    statusLine.textContent = answering;
  }
  statusLine.setAttribute('data-state', pending?.state ?? 'ready');
}

function showSuggestions(): void {
  const list: SlashCommandView[] = state ? matchSlash(input.value, state.slashCommands) : [];
  suggestions.hidden = list.length === 0;
  selectedSuggestion = Math.min(selectedSuggestion, Math.max(0, list.length - 1));
  suggestions.replaceChildren(
    ...list.map((c, i) => {
      const item = el('li', { className: i === selectedSuggestion ? 'selected' : '', attrs: { role: 'option', 'aria-selected': String(i === selectedSuggestion), 'data-name': c.name } }, [
        el('span', { className: 'name', text: `/${c.name}` }),
        el('span', { className: 'description', text: slashHint(c) }),
      ]);
      item.addEventListener('mousedown', (e) => {
        e.preventDefault();
        complete(c);
      });
      return item;
    }),
  );
}

function complete(c: SlashCommandView): void {
  input.value = `/${c.name} `;
  suggestions.hidden = true;
  input.focus();
}

/** Sends the input; while editing the last message, replaces that message instead. */
function send(): void {
  const text = input.value.trim();
  if (!text || state?.busy) return;
  if (input.dataset['editing'] === 'true') {
    delete input.dataset['editing'];
    post({ type: 'chat/editLast', text });
  } else {
    post({ type: 'chat/send', text });
  }
  input.value = '';
  suggestions.hidden = true;
  clearTimeout(previewTimer);
}

/** `@` typed at the start or after a space opens the context picker; the `@` stays typed. */
function typedMention(e: Event): boolean {
  return e instanceof InputEvent && e.data === '@' && startsMention(input.value, input.selectionStart);
}

/** Puts the picker's choice where the `@` was typed, else at the cursor. */
function insertChosen(text: string): void {
  const next = insertMention(input.value, input.selectionStart, input.selectionEnd, text);
  input.value = next.value;
  input.selectionStart = input.selectionEnd = next.cursor;
  input.focus();
  schedulePreview();
}

function schedulePreview(): void {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => post({ type: 'context/preview', text: input.value }), PREVIEW_DELAY_MS);
}

input.addEventListener('input', (e) => {
  selectedSuggestion = 0;
  showSuggestions();
  schedulePreview();
  if (typedMention(e)) post({ type: 'context/add', kind: 'mention' });
});
input.addEventListener('keydown', (e) => {
  const open = !suggestions.hidden && suggestions.children.length > 0;
  if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
    e.preventDefault();
    const n = suggestions.children.length;
    selectedSuggestion = (selectedSuggestion + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    showSuggestions();
  } else if (open && (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey))) {
    e.preventDefault();
    const list = state ? matchSlash(input.value, state.slashCommands) : [];
    const pick = list[selectedSuggestion];
    if (pick) complete(pick);
  } else if (open && e.key === 'Escape') {
    suggestions.hidden = true;
  } else if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    send();
  } else if (e.key === 'Escape' && state?.busy) {
    post({ type: 'chat/cancel' });
  }
});

sendButton.addEventListener('click', send);
agentToggle.addEventListener('click', () => post({ type: 'agent/toggle', enabled: agentToggle.getAttribute('aria-pressed') !== 'true' }));
stopButton.addEventListener('click', () => post({ type: 'chat/cancel' }));
byId('new-chat').addEventListener('click', () => post({ type: 'chat/new' }));
byId('regenerate').addEventListener('click', () => post({ type: 'chat/regenerate' }));
byId('edit-last').addEventListener('click', () => {
  const last = [...(state?.current?.turns ?? [])].reverse().find((t) => t.role === 'user');
  if (last) {
    input.value = last.content;
    input.focus();
    input.dataset['editing'] = 'true';
  }
});
byId('inspect').addEventListener('click', () => post({ type: 'chat/inspectPrompt', text: input.value }));
byId('toggle-history').addEventListener('click', () => {
  history.hidden = !history.hidden;
});
for (const kind of ['selection', 'file', 'diagnostics', 'mention'] as ContextRequest[]) {
  byId(`add-${kind}`).addEventListener('click', () => post({ type: 'context/add', kind }));
}
byId('open-log').addEventListener('click', () => post({ type: 'webview/openLog' }));
promptView.addEventListener('click', () => {
  promptView.hidden = true;
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = event.data;
  if (!isHostToWebview(msg)) {
    return;
  }
  switch (msg.type) {
    case 'host/status':
      renderStatus(msg.status);
      break;
    case 'chat/state':
      renderState(msg.state);
      break;
    case 'chat/delta':
      applyDelta(msg.turnId, msg.text);
      break;
    case 'chat/notice':
      notice.textContent = msg.message;
      notice.className = `notice ${msg.level}`;
      notice.hidden = false;
      break;
    case 'chat/prompt':
      promptView.textContent = msg.text;
      promptView.hidden = false;
      break;
    case 'chat/draft':
      input.value = msg.text;
      input.focus();
      showSuggestions();
      break;
    case 'chat/insert':
      insertChosen(msg.text);
      break;
    default: {
      const never: never = msg;
      throw new Error(`Unhandled message ${JSON.stringify(never)}`);
    }
  }
});

post({ type: 'webview/ready' });
