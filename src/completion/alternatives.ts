import type { TokenProbability } from '../protocol/generation';
import type { TokenTrail } from './confidence';

/**
 * The alternative suggestion: the continuation that starts with the model's second most likely
 * first token. The main generation's first step (its token and the likeliest others) is kept
 * per prompt, so that an explicit request (Alt+] cycling) can ask for it without redoing the main one.
 */
export interface FirstStep {
  /** The partial word the output was constrained to start with (token healing), or ''. */
  heal: string;
  chosen: string;
  top: readonly TokenProbability[];
}

export function firstStepOf(trail: TokenTrail, heal: string): FirstStep | undefined {
  const first = trail.tokens[0];
  return first === undefined ? undefined : { heal, chosen: first.token, top: first.top };
}

const isSpecial = (token: string): boolean => /^<\|.*\|>$/.test(token) || token === '';

/**
 * The likeliest first token other than the chosen one that gives a different start: not a special
 * token, and with healing, one that covers the partial word and goes beyond it.
 */
export function alternativeFirstToken(step: FirstStep): string | undefined {
  const fits = (t: string): boolean => (step.heal === '' ? true : t.startsWith(step.heal) && t.length > step.heal.length);
  return step.top.map((t) => t.token).find((t) => t !== step.chosen && !isSpecial(t) && fits(t));
}

/** First steps of recent generations by completion-cache key, the oldest dropped past `size`. */
export class AlternativeMemo {
  private readonly steps = new Map<string, FirstStep>();

  constructor(private readonly size = 64) {}

  set(key: string, step: FirstStep): void {
    this.steps.delete(key);
    this.steps.set(key, step);
    if (this.steps.size > this.size) this.steps.delete(this.steps.keys().next().value!);
  }

  get(key: string): FirstStep | undefined {
    return this.steps.get(key);
  }

  clear(): void {
    this.steps.clear();
  }
}
