/**
 * ftledger's public API. Subpaths give one module each:
 *   ftledger/engine   the llama engine (config, model, ops, inference, sampling, tokenizer)
 *   ftledger/tensor   kernel backends (ts, wasm, native) behind one interface
 *   ftledger/formats  safetensors, HF checkpoint folders, GGUF
 *   ftledger/train    AdamW, schedules, the training loop, recipes, lab runs
 */

// kernels: pick the fastest backend that starts here
export { loadKernels, type Kernels, type LoadedKernels, type KernelChoice } from "./tensor/index.js";

// the engine
export {
  Llama, type ModelConfig, referenceConfig, createRng, CharTokenizer, generateTokens, scoreContinuations, nextTokenLogprobs,
} from "./model/index.js";

// model files
export { saveCheckpoint, loadCheckpoint, exportGguf, formatFormatError } from "./formats/index.js";

// training
export { train, runLab, recipes, type TrainOptions, type TrainResult } from "./train/index.js";

// one interface over every way of serving a model
export type { LanguageModel, GenerateRequest, ScoreRequest, ContinuationScore, Generation } from "./backends/index.js";
export { openBuiltinModel } from "./backends/index.js";

// measurements of a model on world items: per-item records, no aggregation
export {
  generationAccuracy, rankingAccuracy, sampleFormats, solutionFormat, RESPONSE_FORMATS, FRAMES,
  type Frame, type GenerationRecord, type RankingRecord, type FormatSampleRecord, type ResponseFormat,
} from "./probes/index.js";

// statistics: Wilson intervals, the seeded paired bootstrap, exact McNemar, shares
export {
  wilson, proportion, pairedBootstrap, mcnemarExact, discordantPairs, categoryShares, pairedBinary,
  type ProportionInterval, type PairedBootstrapOptions, type PairedBootstrapResult, type McNemarResult, type PairedBinaryComparison,
} from "./stats/index.js";
