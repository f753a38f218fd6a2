/**
 * Training: AdamW, schedules, clipping, the loop, and batch sources.
 * Recipes (pretrain, sft, …) build on these.
 */
export { adamwStep, createAdamwState, defaultAdamw, frozenIndices, zeroFrozen, type AdamwConfig, type AdamwState } from "./adamw.js";
export { clipGradNorm, gradNorm, type ClipResult } from "./clip.js";
export { cosineWithWarmup, type ScheduleConfig } from "./schedule.js";
export { windowBatches, stepSeed, type BatchSource } from "./batches.js";
export { isObjective, supervised, type Objective, type ObjectiveStep, type StepMetrics } from "./objective.js";
export { groupAdvantages, grpoToken, type GrpoTokenInput, type GrpoTokenTerms } from "./grpo.js";
export { rollout, type Rollout, type RolloutOptions } from "./rollout.js";
export { FRAMES, frameEnd, framePrompt, type Frame } from "./data/frame.js";
export { teacherExamples, teacherBatches, type TeacherExamples, type TeacherPrompt, type TeacherSample } from "./data/teacher.js";
export { openMetricsLog, type MetricsLog } from "./metrics-log.js";
export { train, type TrainOptions, type TrainResult, type TrainError, type StepLog } from "./trainer.js";
export { modelTrainable, loraTrainable, type Trainable } from "./trainable.js";
export { toyCorpus, toySentence } from "./toy-language.js";
export {
  recipes, findRecipe, resolveRecipeConfig, formatRecipeConfigError, sftExamples, pretrainSchema, sftSchema,
  type Recipe, type RecipeBase, type RecipeDefaults, type RecipeFactory, type RecipeName, type RecipeConfigError,
  type ResolvedRecipe, type PretrainConfig, type SftConfig, type GrpoConfig, grpoSchema, grpoObjective, solutionClassShares, GRPO_TASKS,
  imitationSchema, imitationPrompts, IMITATION_TASKS, type ImitationConfig,
} from "./recipes/index.js";
export { runLab, type LabRunOptions, type LabRunResult } from "./run.js";
export { dpoPair, klToken, type DpoPairInput, type DpoPairTerms } from "./dpo.js";
export { dpoPairs, dpoSchema, type DpoConfig, type TrainingRow } from "./recipes/index.js";
export { worldPairs, encodePairs, REJECTED_KINDS, type PreferencePair, type RejectedKind } from "./data/pairs.js";
export { readPairsFile } from "./data/pairs-jsonl.js";
export { loadSoftcot, type SoftcotInfo } from "./softcot-checkpoint.js";
export { encodeSoftcot, type SoftcotExample } from "./softcot-data.js";
export { softcotRespond, plainRespond } from "./softcot-eval.js";
export { runSelfImprove, readSelfImproveMetrics, roundDir, roundItems, type SelfImproveOptions, type SelfImproveResult, type RoundLine } from "./self-improve.js";
export { roundMetrics, relativeGap, type RoundMetrics } from "./self-improve-metrics.js";
export { sampleAndVerify, selfAccepts, type RoundSample } from "./self-improve-sample.js";
export { encodeVerification, verificationExamples, corruptSolution, CORRUPTIONS, type VerificationExample } from "./data/verification.js";
export { selfImprove, selfImproveRound, selfImproveSchema, SELF_IMPROVE_FILTERS, type SelfImproveConfig } from "./recipes/index.js";
export { adapterSchema, adapterOf, loraConfigOf, type AdapterConfig } from "./recipes/index.js";
export { chatBatches, encodeChat, fillRow, type ChatExample, type EncodedChat, type ChatBatchSource } from "./data/chat.js";
export { corpusDocuments, mixtureCounts, packCorpus, type Mixture, type PackedCorpus } from "./data/corpus.js";
export { codeVersion, type CodeVersion } from "./code-version.js";
export { trainBpe, trainBpeReport, type BpeTrainOptions, type BpeTrainResult } from "./tokenizer/index.js";
