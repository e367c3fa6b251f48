/** Counts tokens of a text with the model's tokenizer, or estimates them. */
export type TokenCounter = (text: string) => number;

/**
 * Used when no tokenizer is at hand. Byte-pair vocabularies trained on code average about three
 * characters a token; erring low on characters keeps prompts inside the budget.
 */
export const estimateTokens: TokenCounter = (text) => Math.ceil(text.length / 3);
