/**
 * Training: AdamW, schedules, clipping, the loop, and batch sources.
 * Recipes (pretrain, sft, …) build on these.
 */
export { adamwStep, createAdamwState, defaultAdamw, type AdamwConfig, type AdamwState } from "./adamw.js";
export { clipGradNorm, gradNorm, type ClipResult } from "./clip.js";
export { cosineWithWarmup, type ScheduleConfig } from "./schedule.js";
export { windowBatches, stepSeed, type BatchSource } from "./batches.js";
export { train, type TrainOptions, type TrainResult, type TrainError, type StepLog } from "./trainer.js";
export { toyCorpus, toySentence } from "./toy-language.js";
export { recipes, findRecipe, type Recipe, type RecipeDefaults, type RecipeName } from "./recipes/index.js";
export { runLab, latestCheckpoint, type LabRunOptions, type LabRunResult, type RunManifest } from "./run.js";
