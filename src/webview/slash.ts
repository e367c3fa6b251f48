import type { SlashCommandView } from '../protocol/webview';

/** Slash commands whose name starts with what follows `/` at the start of the input. */
export function matchSlash(input: string, commands: readonly SlashCommandView[]): SlashCommandView[] {
  const m = /^\/(\S*)$/.exec(input);
  if (!m) {
    return [];
  }
  const typed = m[1]!.toLowerCase();
  return commands.filter((c) => c.name.toLowerCase().startsWith(typed));
}

/** The hint beside a suggestion: what the command does, then the pack it comes from. */
export function slashHint(c: SlashCommandView): string {
  const what = (c.description.trim() || c.title).replace(/\.$/, '');
  return `${what} — ${c.source}`;
}
