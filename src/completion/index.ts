/** The inline-completion pipeline's public surface, for the host and the benchmark. */
export { CompletionPipeline, promptBudget, type CompletionPipelineOptions, type Sleep } from './pipeline';
export { healText } from './healing';
export * from './confidence';
export { type ConfidenceThreshold } from './pipeline';
export { GUARD_NAMES, GUARDS, type Guard, type GuardInput, type GuardName, type GuardResult, type GuardSelection } from './guards';
export { type PipelineCounters } from './pipelineStats';
export { prefilter, SKIP_REASONS, type SkipReason } from './prefilter';
export { detectFimFamily, resolveFimTemplate } from './fimFamily';
export { BUILTIN_FIM_TEMPLATES, FIM_FAMILIES, fimFamilyRecord, type FimFamily, type FimRenderContext, type FimTemplate, type FimTraits } from './fimTemplates';
export { estimateTokens, type TokenCounter } from '../common/tokens';
export {
  DEFAULT_COMPLETION_SETTINGS,
  type CompletionResult,
  type CompletionResultStats,
  type CompletionSettings,
  type CompletionSnapshot,
  type CompletionSource,
  type DebounceSetting,
  type NeighbourFile,
  type OffsetRange,
  type SelectedCompletionItem,
} from './types';
