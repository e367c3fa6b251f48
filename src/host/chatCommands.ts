import type { ChatContextSource } from './chatContext';
import type { ChatViewProvider } from './chatView';
import type { Command } from './commands';

export interface ChatCommandDeps {
  view: ChatViewProvider;
  contextSource: ChatContextSource;
  /** Starts a new conversation, when the chat has been used in this window. */
  newConversation(): void;
}

/** What an editor command attaches before it opens the chat, and the slash command it sends at once. */
interface ContextCommand {
  id: string;
  slash: string | undefined;
  diagnostics: boolean;
}

const CONTEXT_COMMANDS: readonly ContextCommand[] = [
  { id: 'autoglm.chat.askAboutSelection', slash: undefined, diagnostics: false },
  { id: 'autoglm.chat.explain', slash: '/explain', diagnostics: false },
  { id: 'autoglm.chat.generateTests', slash: '/tests', diagnostics: false },
  { id: 'autoglm.chat.fix', slash: '/fix', diagnostics: true },
];

/**
 * The chat's commands. Those that carry the editor's context: "Ask about selection" waits for the
 * user's question; the others send their slash command at once.
 */
export function chatCommands({ view, contextSource, newConversation }: ChatCommandDeps): Command[] {
  const withContext = ({ id, slash, diagnostics }: ContextCommand): Command => ({
    id,
    async execute(): Promise<void> {
      const editor = contextSource.editor;
      await view.reveal();
      view.attach(contextSource.selection(editor) ?? contextSource.file(editor));
      if (diagnostics) {
        view.attach(contextSource.diagnostics(editor));
      }
      if (slash) {
        await view.submit(slash);
      }
    },
  });
  return [
    { id: 'autoglm.openChat', execute: () => view.reveal() },
    { id: 'autoglm.chat.new', execute: newConversation },
    ...CONTEXT_COMMANDS.map(withContext),
  ];
}
