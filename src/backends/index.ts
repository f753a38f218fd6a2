/**
 * Backends: one LanguageModel interface over the engine (builtin), llama.cpp (gguf)
 * and OpenAI-compatible servers (openai).
 */
export type {
  LanguageModel, Vocabulary, TokenIds, SamplingParams, ChatMessage, GenerateRequest, TokenLogprob, FinishReason,
  Sample, Generation, ScoreRequest, ScoredToken, ContinuationScore, TokenLogprobs, PositionScore, TokenScoreRequest, StreamEvent, TokenDecoder, BatchDecoder,
} from "./language-model.js";
export { moveTrailingWhitespace } from "./boundary.js";
export { BoundaryError, formatBoundaryProblem, type BoundaryProblem, type TokenBoundary } from "./boundary.js";
export { cutAtStop } from "./stop.js";
export { splitForScoring, type SplitTokenizer, type Split } from "./builtin/split.js";
export { openBuiltinModel, type BuiltinOptions } from "./builtin/index.js";
export {
  createOpenAIModel, parseOpenAISpec, BackendError, formatOpenAIError,
  type OpenAISpec, type OpenAIConnection, type OpenAIModelOptions, type PromptLogprobsMode, type OpenAIError, type OpenAIErrorCode,
} from "./openai/index.js";
export { openModel, SpecError, SPEC_FORMS, type OpenModelOptions } from "./spec.js";
export { openGgufModel, type GgufModelOptions, GgufLoadError, checkGguf, formatGgufCheckError, type GgufCheckError, type GgufCheck, ggufFileId } from "./llamacpp/index.js";
export {
  openRequestCache, withCache, isCacheableGenerate, requestKey, canonicalJson,
  RequestCacheError, formatRequestCacheError,
  SQLITE_BUSY_TIMEOUT_MS, enableWal, sqliteCode, isSqliteDamage, integrityProblems,
  type RequestCache, type CacheEntry, type CachedLanguageModel, type CacheStats,
  type RequestKind, type RequestCacheErrorDetail, type RequestCacheErrorCode,
} from "./cache/index.js";
export { withBatching, CallQueue, type BatchingOptions, type BatchingStats, type BatchedLanguageModel } from "./batch/index.js";
export { sharedBaseStats } from "./builtin/index.js";
export { sharedGgufStats } from "./llamacpp/index.js";
export { loraModuleSpecs, type LoraModuleEntry } from "./lora-spec.js";
export { GGUF_GPUS, DEFAULT_GGUF_GPU, parseGgufGpu, GgufGpuError, type GgufGpu } from "./llamacpp/index.js";
