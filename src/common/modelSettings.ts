/**
 * The model-variant and execution-provider choices, shared by the engine, the service protocol,
 * the CLI and the editor settings so that every layer accepts exactly the same values.
 */
export const MODEL_VARIANTS = ['auto', 'fp32', 'fp16', 'q4', 'q4f16', 'bnb4', 'int8', 'uint8'] as const;
export type ModelVariant = (typeof MODEL_VARIANTS)[number];

export const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda', 'webgpu', 'dml', 'coreml'] as const;
export type ProviderSetting = (typeof EXECUTION_PROVIDERS)[number];
