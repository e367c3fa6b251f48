import { type GenerationChunk, type GenerationStats } from '../backends/backend';

/**
 * The backend's chunks as plain text deltas. When the consumer stops early, `stop` is called
 * (it aborts the generation) and the rest of the stream is drained in the background so that
 * the final stats still reach `onStats`.
 */
export async function* textDeltas(chunks: AsyncIterable<GenerationChunk>, onStats: (stats: GenerationStats) => void, stop: () => void): AsyncGenerator<string> {
  const iterator = chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) {
        finished = true;
        return;
      }
      if (next.value.type === 'text') {
        if (next.value.text !== '') {
          yield next.value.text;
        }
      } else if (next.value.type === 'done') {
        onStats(next.value.stats);
      }
    }
  } finally {
    if (!finished) {
      stop();
      void drain(iterator, onStats);
    }
  }
}

async function drain(iterator: AsyncIterator<GenerationChunk>, onStats: (stats: GenerationStats) => void): Promise<void> {
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) {
        return;
      }
      if (next.value.type === 'done') {
        onStats(next.value.stats);
      }
    }
  } catch {
    // The generation was aborted on purpose; whatever it throws now says nothing new.
  }
}

/**
 * Text deltas as lines without their breaks (`\r\n` or `\n`). The first line continues the
 * cursor's line; the last one is yielded when the stream ends, even if empty.
 */
export async function* splitIntoLines(texts: AsyncIterable<string>): AsyncGenerator<string> {
  let pending = '';
  for await (const text of texts) {
    pending += text;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      yield pending.slice(0, nl > 0 && pending[nl - 1] === '\r' ? nl - 1 : nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  }
  yield pending.endsWith('\r') ? pending.slice(0, -1) : pending;
}

export async function* takeLines(lines: AsyncIterable<string>, count: number): AsyncGenerator<string> {
  if (count <= 0) {
    return;
  }
  let taken = 0;
  for await (const line of lines) {
    yield line;
    if (++taken >= count) {
      return;
    }
  }
}

export async function collectLines(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) {
    out.push(line);
  }
  return out;
}
