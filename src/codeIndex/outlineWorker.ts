/**
 * Cuts files for the workspace index in a worker thread: a parse of a large file takes a few
 * hundred milliseconds, which on the editor's own thread would be a keystroke that waits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { OutlineJob, OutlineReply, OutlineWorkerData } from './outlineProtocol';
import { SyntaxOutliner } from './syntax';

const { assets, options } = workerData as OutlineWorkerData;
const port = parentPort!;
const post = (reply: OutlineReply): void => port.postMessage(reply);

SyntaxOutliner.create(assets, options).then(
  (outliner) => {
    post({ kind: 'ready', grammarProblems: outliner.grammarProblems.map((p) => p.message) });
    port.on('message', (job: OutlineJob) => post({ kind: 'outline', id: job.id, outline: outliner.outline(job.file) }));
  },
  (err: unknown) => post({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }),
);
