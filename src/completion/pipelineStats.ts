import { SKIP_REASONS, type SkipReason } from './prefilter';

/** Counters of a pipeline since it was created; read with `CompletionPipeline.stats()`. */
export interface PipelineCounters {
  /** Calls to `provide`. */
  requests: number;
  /** Requests the prefilter turned away, by reason. */
  skipped: Record<SkipReason, number>;
  /** Backend generations started (after prefilter, reuse and debounce). */
  generationsStarted: number;
  /** Requests aborted (by a newer request or by the caller) during debounce or generation. */
  cancelled: number;
  /** Of those, requests aborted after their generation had started; the generation may still serve the next keystrokes. */
  cancelledWhileGenerating: number;
  /** Generations stopped before they finished because no request could use them any more (engine work thrown away). */
  generationsStopped: number;
  /** Requests answered from the completion cache (including remembered empty answers). */
  servedFromCache: number;
  /** Requests answered with the rest of the suggestion the user is typing. */
  servedByTypedAhead: number;
  /** Requests answered by a generation an earlier keystroke started, because the user typed what it was producing. */
  servedByInFlight: number;
  /** Generations that produced something to show. */
  generated: number;
  /** Generations that produced nothing worth showing. */
  empty: number;
  /** Generations whose suggestion the confidence gate held back. */
  gated: number;
  /** Generations whose suggestion the gate cut to the part the model was sure of (gate mode `truncate`). */
  truncated: number;
  /** Unexpected failures. */
  errors: number;
}

export function emptyCounters(): PipelineCounters {
  return {
    requests: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
    generationsStarted: 0,
    cancelled: 0,
    cancelledWhileGenerating: 0,
    generationsStopped: 0,
    servedFromCache: 0,
    servedByTypedAhead: 0,
    servedByInFlight: 0,
    generated: 0,
    empty: 0,
    gated: 0,
    truncated: 0,
    errors: 0,
  };
}

export function copyCounters(c: PipelineCounters): PipelineCounters {
  return { ...c, skipped: { ...c.skipped } };
}
