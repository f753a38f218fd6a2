/**
 * ftledger's public API. Subpaths give one module each:
 *   ftledger/engine   the llama engine (config, model, ops, inference, sampling, tokenizer)
 *   ftledger/tensor   kernel sets (ts, wasm, native) behind one interface
 *   ftledger/formats  safetensors, HF checkpoint folders, GGUF
 *   ftledger/train    AdamW, schedules, the training loop, recipes, lab runs
 *   ftledger/probes   the Probe contract, every probe, items, prompt formats
 *   ftledger/stats    paired statistics
 *   ftledger/audit    the audit: runner, run store, ledger, gate
 *   ftledger/weights  diff, merge and partial reversion of model weights
 *   ftledger/compose  decode-time composition (emulated fine-tuning) and `openAnyModel`
 */

// kernels: pick the fastest kernel set that starts here
export { loadKernels, type Kernels, type LoadedKernels, type KernelChoice } from "./tensor/index.js";

// seeded randomness: every random choice flows from one of these
export { createRng, type Rng } from "./random/index.js";

// the engine
export {
  Llama, type ModelConfig, referenceConfig, CharTokenizer, generateTokens, scoreContinuations, nextTokenLogprobs,
} from "./model/index.js";

// model files
export { saveCheckpoint, loadCheckpoint, exportGguf, formatFormatError } from "./formats/index.js";

// training
export { train, runLab, recipes, type TrainOptions, type TrainResult } from "./train/index.js";
export { BpeTokenizer, type Tokenizer } from "./model/index.js";
export { trainBpe } from "./train/index.js";

// one interface over every way of serving a model
export type { LanguageModel, GenerateRequest, ScoreRequest, ContinuationScore, Generation } from "./backends/index.js";
export { openBuiltinModel, openModel } from "./backends/index.js";

// probes: one model over items, per-item records of a proxy and a capability
export {
  PROBES, PROBE_IDS, selectProbes, fromWorld, parsePromptFormat,
  type Probe, type ProbeContext, type MetricSpec, type ItemRecord, type Item, type PromptFormat,
} from "./probes/index.js";

// the audit: base vs tuned on the same items, stored, resumable, with the ledger and the gate
export {
  audit, openRunStore, suiteItems, readDataset, parseGateRule,
  type AuditOptions, type AuditResult, type Ledger, type LedgerRow, type AuditResultJson,
} from "./audit/index.js";

// statistics: each ledger row is one family of one-sided tests (PairedInference), from which its
// p-value, its interval at any level and its equivalence (TOST) p follow; the planner; and the
// older building blocks (Wilson, percentile bootstrap, exact McNemar, permutation tests, adjustment)
export {
  pairedProportions, pairedMeanDifference, pairedSetStatistic, seedPooledMeanDifference, twoSidedP, tostP, confidenceInterval,
  planRows, pairedProportionsN, pairedMeanN, equivalenceN, designEffect,
  wilson, proportion, pairedBootstrap, mcnemarExact, discordantPairs, categoryShares, pairedBinary,
  signFlipTest, pairedPermutation, pairedBootstrapStatistic, holm, benjaminiHochberg, cohensDz, pairedOddsRatio, mdePairedMean, mdeMcNemar,
  type PairedInference, type ProportionInterval, type PairedBootstrapOptions, type PairedBootstrapResult, type McNemarResult, type PairedBinaryComparison,
} from "./stats/index.js";

// inside the weights: where a fine-tune changed the model, merges, θ₀ + α·Δ
export {
  openModelWeights, diffWeights, runMerge, readMergeConfig, writeScaledModel, MERGE_METHODS, formatWeightsError,
  type DiffResult, type MergeConfig, type MergeMethod, type WeightsError,
} from "./weights/index.js";

// decode-time composition: eft: specs, and one opener for every kind of model spec
export { openAnyModel, EftModel, EftTopKModel, composeLogprobs, composeTopK, parseEftSpec, type EftSpec } from "./compose/index.js";
