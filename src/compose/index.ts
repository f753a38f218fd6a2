/**
 * Decode-time composition of models: emulated fine-tuning (EFT, arXiv 2310.12962) as a
 * LanguageModel, openable from an `eft:` spec next to every backend's own.
 */
export { openAnyModel, MODEL_SPEC_FORMS } from "./open.js";
export { EftModel, type EftParts } from "./eft.js";
export { composeLogprobs, composeTopK, type TopK, type TopKComposition } from "./combine.js";
export { parseEftSpec, eftSpecText, isEftSpec, EFT_FORM, type EftSpec } from "./spec.js";
export { vocabularyDifference, type NamedVocab } from "./compatible.js";
export { EftTopKModel, DEFAULT_TOP_K, type TopKApproximation } from "./eft-topk.js";
