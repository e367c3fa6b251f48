/**
 * Agent answers in the chat view: the answer's text with its tool calls where they came, each
 * call a card with its arguments, state and result (collapsible), the approval buttons while it
 * waits, and for edits the files to review, each with its diff and a check box to accept it.
 */
import type { ApprovalDecision, FileChangeView, ToolCallStateView, ToolCallView, WebviewToHost } from '../protocol/webview';
import { el } from './dom';

const STATE_TEXT: Record<ToolCallStateView, string> = {
  'waiting-approval': 'waiting for approval',
  running: 'running',
  done: 'done',
  failed: 'failed',
  denied: 'denied',
  cancelled: 'cancelled',
};

/** Files the user unticked in a review, by call id; kept across re-renders of the view. */
const rejected = new Map<string, Set<string>>();

type Post = (message: WebviewToHost) => void;

/** Renders `content` split at the calls' offsets, each part through `renderText`, the calls between. */
export function renderAnswer(target: HTMLElement, content: string, calls: readonly ToolCallView[], renderText: (node: HTMLElement, text: string) => void, post: Post): void {
  const ordered = [...calls].sort((a, b) => a.at - b.at);
  const parts: HTMLElement[] = [];
  let from = 0;
  for (const call of ordered) {
    const at = Math.min(Math.max(call.at, from), content.length);
    parts.push(textPart(content.slice(from, at), renderText));
    parts.push(callCard(call, post));
    from = at;
  }
  parts.push(textPart(content.slice(from), renderText));
  target.replaceChildren(...parts.filter((p) => p.childNodes.length > 0 || p.classList.contains('tool-call')));
}

function textPart(text: string, renderText: (node: HTMLElement, text: string) => void): HTMLElement {
  const node = el('div', { className: 'answer-text' });
  if (text.trim() !== '') renderText(node, text);
  return node;
}

function callCard(call: ToolCallView, post: Post): HTMLElement {
  const head = el('div', { className: 'tool-head' }, [
    el('span', { className: 'codicon codicon-tools', attrs: { 'aria-hidden': 'true' } }),
    el('span', { className: 'tool-name', text: call.name }),
    ...(call.source !== 'builtin' ? [el('span', { className: 'tool-source', text: call.source })] : []),
    el('span', { className: `tool-state ${call.state}`, text: STATE_TEXT[call.state] }),
  ]);
  const card = el('div', { className: `tool-call ${call.state}`, attrs: { 'data-call-id': call.id, 'data-state': call.state, role: 'group', 'aria-label': `Tool call ${call.name}: ${STATE_TEXT[call.state]}` } }, [head]);
  if (call.summary) card.append(el('div', { className: 'tool-summary', text: call.summary }));
  card.append(collapsible('Arguments', prettyJson(call.arguments), 'tool-arguments'));
  if (call.changes?.length) card.append(changeList(call, post));
  if (call.state === 'waiting-approval') card.append(approvalButtons(call, post));
  if (call.output && call.state === 'running') card.append(collapsible('Output', call.output, 'tool-output', true));
  if (call.result !== undefined) card.append(collapsible(call.isError ? 'Result (error)' : 'Result', call.result, 'tool-result'));
  return card;
}

function collapsible(label: string, text: string, className: string, open = false): HTMLElement {
  const details = el('details', { className }, [el('summary', { text: label }), el('pre', { text })]);
  details.open = open;
  return details;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function changeList(call: ToolCallView, post: Post): HTMLElement {
  const waiting = call.state === 'waiting-approval';
  const off = rejected.get(call.id) ?? new Set<string>();
  const rows = call.changes!.map((change) => {
    const row = el('li', { className: 'tool-change', attrs: { 'data-path': change.path } });
    if (waiting) {
      const box = el('input', { attrs: { type: 'checkbox', 'aria-label': `Accept the change to ${change.path}` } });
      box.checked = !off.has(change.path);
      box.addEventListener('change', () => {
        const set = rejected.get(call.id) ?? new Set<string>();
        if (box.checked) set.delete(change.path);
        else set.add(change.path);
        rejected.set(call.id, set);
      });
      row.append(box);
    }
    const link = el('a', { className: 'tool-change-path', text: change.path, title: 'Show the diff', attrs: { href: '#', role: 'button' } });
    link.addEventListener('click', (e) => {
      e.preventDefault();
      post({ type: 'agent/diff', callId: call.id, path: change.path });
    });
    row.append(link, el('span', { className: 'tool-change-counts', text: counts(change) }));
    if (!waiting && call.acceptedPaths) {
      const accepted = call.acceptedPaths.includes(change.path);
      row.append(el('span', { className: `tool-change-verdict ${accepted ? 'accepted' : 'rejected'}`, text: accepted ? 'accepted' : 'rejected' }));
    }
    return row;
  });
  return el('ul', { className: 'tool-changes', attrs: { 'aria-label': 'Proposed changes' } }, rows);
}

function counts(change: FileChangeView): string {
  return `${change.created ? 'new file, ' : ''}+${change.addedLines} −${change.removedLines}`;
}

function approvalButtons(call: ToolCallView, post: Post): HTMLElement {
  const edits = call.changes !== undefined && call.changes.length > 0;
  const answer = (decision: ApprovalDecision): void => {
    const off = rejected.get(call.id) ?? new Set<string>();
    const acceptedPaths = edits && decision !== 'deny' ? call.changes!.map((c) => c.path).filter((p) => !off.has(p)) : undefined;
    rejected.delete(call.id);
    post({ type: 'agent/approve', callId: call.id, decision, ...(acceptedPaths ? { acceptedPaths } : {}) });
  };
  const button = (label: string, decision: ApprovalDecision, className: string): HTMLButtonElement => {
    const b = el('button', { className, text: label, attrs: { type: 'button', 'data-decision': decision } });
    b.addEventListener('click', () => answer(decision));
    return b;
  };
  return el('div', { className: 'tool-approval', attrs: { role: 'toolbar', 'aria-label': 'Approve this tool call' } }, [
    button(edits ? 'Apply selected' : 'Allow', 'allow', 'approve'),
    button(edits ? 'Apply and allow edits for this session' : 'Allow for this session', 'allow-session', 'approve-session'),
    button(edits ? 'Reject all' : 'Deny', 'deny', 'deny'),
  ]);
}
