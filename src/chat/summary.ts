/**
 * Summaries of the turns a long conversation drops from the window. The bundled model is too
 * small to summarise, so the summary is first a plain extract (the questions asked, shortened, and
 * the code names mentioned); a real model writes a better one in the background, which is used
 * from the next send on for the turns it covers.
 */
import { mentionedNames } from './identifiers';
import type { ChatTurn, ConversationSummaryText } from './types';

/** The built-in instruction for a model summary, when the prompt packs have no `chat-summary` template. */
export const DEFAULT_SUMMARY_PROMPT =
  'Summarise the conversation below between a user and a coding assistant in at most 120 words, for the assistant to continue it. Keep the questions asked, the decisions made, and the names of files, functions and types discussed. Write plain sentences, no code blocks.';

const QUESTION_CHARS = 100;
/** Newest questions listed; older ones are counted. */
const MAX_QUESTIONS = 12;
const MAX_NAMES = 24;
/** Characters of each turn shown to the model that writes the summary. */
const TRANSCRIPT_TURN_CHARS = 1_500;

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The extract: the user's questions, shortened, and the code identifiers mentioned on either side. */
export function extractSummary(turns: readonly ChatTurn[]): string {
  const questions = turns.filter((t) => t.role === 'user').map((t) => shorten(t.content, QUESTION_CHARS));
  const listed = questions.slice(-MAX_QUESTIONS);
  const older = questions.length - listed.length;
  const names = [...new Set(turns.flatMap((t) => mentionedNames(t.content).symbols))].slice(0, MAX_NAMES);
  return [
    ...(listed.length > 0 ? ['The user asked:', ...(older > 0 ? [`- (${older} earlier questions)`] : []), ...listed.map((q) => `- ${q}`)] : []),
    ...(names.length > 0 ? [`Code mentioned: ${names.join(', ')}`] : []),
  ].join('\n');
}

/** What the model summarising sees: the dropped turns, each cut to a bounded length. */
export function summaryTranscript(turns: readonly ChatTurn[]): string {
  return turns.map((t) => `${t.role === 'user' ? 'User' : 'Assistant'}: ${shorten(t.content, TRANSCRIPT_TURN_CHARS)}`).join('\n\n');
}

/**
 * The summary of `dropped`: the model's where it covers their first turns (the extract for any
 * turns after those), else the extract.
 */
export function summaryFor(dropped: readonly ChatTurn[], written: ConversationSummaryText | undefined): { text: string; byModel: boolean } {
  const covers = written !== undefined && written.turnIds.length > 0 && written.turnIds.length <= dropped.length && written.turnIds.every((id, i) => dropped[i]?.id === id);
  if (!covers) {
    return { text: extractSummary(dropped), byModel: false };
  }
  const rest = dropped.slice(written.turnIds.length);
  return { text: rest.length > 0 ? `${written.text}\n${extractSummary(rest)}` : written.text, byModel: true };
}
