/**
 * What the user did with the suggestions shown: accepted (Tab, or part of it word by word) or
 * rejected (another suggestion took its place). Each generated suggestion counts once, with the
 * confidence it was shown at; suggestions the user typed along with by hand count neither way.
 */
export interface FeedbackSink {
  record(confidence: number, accepted: boolean): void;
}

interface Pending {
  origin: string;
  confidence: number;
  /** Shown again while the user typed its next characters: no verdict can be drawn. */
  typedAlong: boolean;
}

export class AcceptanceFeedback {
  private pending: Pending | undefined;
  accepted = 0;
  rejected = 0;

  constructor(private readonly sink: FeedbackSink) {}

  /** A suggestion from generation `origin` is on screen; `confidence` is undefined for one served again from memory. */
  shown(origin: string, confidence: number | undefined): void {
    if (this.pending?.origin === origin) {
      if (confidence === undefined) this.pending.typedAlong = true;
      return;
    }
    this.settle(false);
    this.pending = confidence === undefined ? undefined : { origin, confidence, typedAlong: false };
  }

  /** The user took the suggestion from `origin`, all of it or a part. */
  accept(origin: string): void {
    if (this.pending?.origin === origin) this.settle(true);
  }

  private settle(accepted: boolean): void {
    const p = this.pending;
    this.pending = undefined;
    if (p === undefined || (!accepted && p.typedAlong)) return;
    this.sink.record(p.confidence, accepted);
    if (accepted) this.accepted++;
    else this.rejected++;
  }
}
