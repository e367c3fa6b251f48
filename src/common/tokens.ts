/** Counts the tokens of a text: with the model's tokenizer where one is at hand, else an estimate. */
export type TokenCounter = (text: string) => number;

/**
 * The one estimate used wherever no tokenizer is at hand. Byte-pair vocabularies trained on code
 * average a little over three characters a token; erring low on characters per token keeps
 * prompts inside their budgets.
 */
export const estimateTokens: TokenCounter = (text) => Math.ceil(text.length / 3);

/** A counter together with whether it is the model's own tokenizer, so that the UI can say which. */
export interface TokenCounting {
  readonly count: TokenCounter;
  /** True when `count` is the model's tokenizer, false when it estimates. */
  readonly exact: boolean;
}
