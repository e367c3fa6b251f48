/** The engine's public surface: everything other layers may use. */
export { Engine, generateText, type EngineOptions, type ModelInfo } from './engine';
export type {
  ChatMessage,
  EngineStats,
  GenerateDelta,
  GenerateDone,
  GenerateEvent,
  GenerateRequest,
  GenerateStats,
  ModelVariant,
  Priority,
  ProviderSetting,
  StopReason,
} from './types';
export { bundledModelDir } from './bundledModel';
export { generateChat, offeredTools, type ChatEngine, type ChatEvent, type ChatTurnRequest, type ToolCallEvent } from './chatGeneration';
