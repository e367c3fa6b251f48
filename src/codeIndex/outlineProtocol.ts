/** Messages between the workspace index and its outline worker (`outlineWorker.ts`). */
import type { SyntaxAssets, SyntaxOptions } from './syntax';
import type { FileOutline, SourceFile } from './types';

export interface OutlineWorkerData {
  assets: SyntaxAssets;
  options: SyntaxOptions;
}

export interface OutlineJob {
  id: number;
  file: SourceFile;
}

export type OutlineReply =
  | { kind: 'ready'; grammarProblems: string[] }
  | { kind: 'failed'; message: string }
  | { kind: 'outline'; id: number; outline: FileOutline };
