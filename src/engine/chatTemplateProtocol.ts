/** Messages between `chatTemplate.ts` and its render worker. */
import type { MessagePort } from 'node:worker_threads';

export interface WorkerData {
  port: MessagePort;
  /** [0]: id of the last reply posted; [1]: 1 once the worker listens. */
  signal: Int32Array;
}

export interface RenderJob {
  id: number;
  source: string;
  context: Record<string, unknown>;
  /** Longest output accepted (characters). */
  maxChars: number;
}

export type RenderReply =
  | { id: number; kind: 'ok'; text: string }
  | { id: number; kind: 'too-long'; chars: number }
  | { id: number; kind: 'error'; message: string };
