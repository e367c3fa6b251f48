/**
 * Renders chat templates for `chatTemplate.ts`, in a worker thread with its own heap limit, so
 * that a template that loops or allocates without end can be stopped without harming the engine.
 * Each reply is posted on the port, then the shared flag wakes the waiting caller.
 */
import { Template } from '@huggingface/jinja';
import { workerData, type MessagePort } from 'node:worker_threads';
import type { RenderJob, RenderReply, WorkerData } from './chatTemplateProtocol';

const { port, signal } = workerData as WorkerData;

/** Compiled once per template source; an engine has one or two. */
const compiled = new Map<string, Template>();

function render(job: RenderJob): RenderReply {
  try {
    let template = compiled.get(job.source);
    if (!template) {
      template = new Template(job.source);
      compiled.set(job.source, template);
    }
    const text = template.render(job.context);
    if (text.length > job.maxChars) {
      return { id: job.id, kind: 'too-long', chars: text.length };
    }
    return { id: job.id, kind: 'ok', text };
  } catch (err) {
    return { id: job.id, kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

function reply(to: MessagePort, message: RenderReply): void {
  to.postMessage(message);
  Atomics.store(signal, 0, message.id);
  Atomics.notify(signal, 0);
}

port.on('message', (job: RenderJob) => reply(port, render(job)));
Atomics.store(signal, 1, 1);
Atomics.notify(signal, 1);
