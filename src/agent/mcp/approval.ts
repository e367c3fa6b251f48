/**
 * Which configured servers may start. A server from the user's settings starts without asking: the
 * user wrote it. One from a workspace file runs a program or reaches a URL that whoever wrote the
 * repository chose, so it starts only after the user approved that exact configuration once;
 * the approval is remembered by the configuration's key, so a changed command asks again. A
 * server the user declined is not asked about again in this session unless the user asks.
 */
import type { McpServerConfig } from './config';
import { serverConfigKey } from './serverKey';

export interface ApprovalMemory {
  isApproved(key: string): boolean;
  approve(key: string): Promise<void>;
}

/** Asks the user whether `server` may start; true only for an explicit yes. */
export type AskToStart = (server: McpServerConfig) => Promise<boolean>;

export interface ApprovalOutcome {
  readonly allowed: readonly McpServerConfig[];
  /** Workspace servers not started because the user declined them (now or earlier in the session). */
  readonly declined: readonly McpServerConfig[];
}

export class ServerApproval {
  private readonly declinedKeys = new Set<string>();

  constructor(
    private readonly memory: ApprovalMemory,
    private readonly ask: () => AskToStart,
  ) {}

  /** Asks about unapproved workspace servers one at a time, in order. */
  async decide(servers: readonly McpServerConfig[]): Promise<ApprovalOutcome> {
    const allowed: McpServerConfig[] = [];
    const declined: McpServerConfig[] = [];
    for (const server of servers) {
      (await this.mayStart(server) ? allowed : declined).push(server);
    }
    return { allowed, declined };
  }

  /** The servers that start without a question: the user's, and workspace ones approved before. */
  allowedWithoutAsking(servers: readonly McpServerConfig[]): McpServerConfig[] {
    return servers.filter((server) => server.scope === 'user' || this.memory.isApproved(serverConfigKey(server)));
  }

  /** Lets a declined server be asked about again (the user chose it in the server list). */
  reconsider(server: McpServerConfig): void {
    this.declinedKeys.delete(serverConfigKey(server));
  }

  private async mayStart(server: McpServerConfig): Promise<boolean> {
    if (server.scope === 'user') return true;
    const key = serverConfigKey(server);
    if (this.memory.isApproved(key)) return true;
    if (this.declinedKeys.has(key)) return false;
    if (await this.ask()(server)) {
      await this.memory.approve(key);
      return true;
    }
    this.declinedKeys.add(key);
    return false;
  }
}

/** An `ApprovalMemory` over a stored list of keys, newest last, bounded so that it cannot grow without end. */
export function keyListMemory(read: () => readonly string[], write: (keys: readonly string[]) => PromiseLike<void>, maxKeys = 200): ApprovalMemory {
  return {
    isApproved: (key) => read().includes(key),
    approve: async (key) => {
      await write([...read().filter((k) => k !== key), key].slice(-maxKeys));
    },
  };
}

