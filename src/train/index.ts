/**
 * Training: AdamW, schedules, clipping, the loop, and batch sources.
 * Recipes (pretrain, sft, …) build on these.
 */
export { adamwStep, createAdamwState, defaultAdamw, type AdamwConfig, type AdamwState } from "./adamw.js";
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
export { toyCorpus, toySentence } from "./toy-language.js";
export {
  recipes, findRecipe, resolveRecipeConfig, formatRecipeConfigError, sftExamples, pretrainSchema, sftSchema,
  type Recipe, type RecipeBase, type RecipeDefaults, type RecipeFactory, type RecipeName, type RecipeConfigError,
  type ResolvedRecipe, type PretrainConfig, type SftConfig, type GrpoConfig, grpoSchema, grpoObjective, solutionClassShares, GRPO_TASKS,
  imitationSchema, imitationPrompts, IMITATION_TASKS, type ImitationConfig,
} from "./recipes/index.js";
export { runLab, type LabRunOptions, type LabRunResult } from "./run.js";
export { chatBatches, encodeChat, fillRow, type ChatExample, type EncodedChat, type ChatBatchSource } from "./data/chat.js";
export { corpusDocuments, mixtureCounts, packCorpus, type Mixture, type PackedCorpus } from "./data/corpus.js";
export { codeVersion, type CodeVersion } from "./code-version.js";
