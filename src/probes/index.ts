/**
 * Probes: measurements of a LanguageModel on items, one file each. The Probe contract
 * (probe.ts) is what src/audit runs; every probe yields per-item records of its proxy and
 * capability metrics, and aggregation (intervals, paired tests) is src/stats's job.
 * The older record functions (generationAccuracy, rankingAccuracy, sampleFormats) serve
 * `ftledger lab eval`.
 */
export { FRAMES, type Frame, type OnProgress, frameRequest, inBatches } from "./frame.js";
export { generationAccuracy, type GenerationOptions, type GenerationRecord } from "./generation-accuracy.js";
export { rankingAccuracy, type RankingOptions, type RankingRecord } from "./ranking-accuracy.js";
export {
  sampleFormats, solutionFormat, RESPONSE_FORMATS, type ResponseFormat, type FormatSampleOptions, type FormatSampleRecord,
} from "./format-shares.js";
export { type Item, type VerifierName, VERIFIERS, expectsReasoning, isReference, fromWorld } from "./item.js";
export {
  greedyResponses, forcedAnswers, generateFitting, generationsFitting, scoreFitting, isContextError, contextLengthOf, contextNote,
  type OnMisfit,
} from "./respond.js";
export { ANSWER_CUE, readReasoning, readDirect, answerOf, verify, type ReadResponse } from "./judge.js";
export { type PromptFormat, type Render, parsePromptFormat, formatName, renderer } from "./prompt-format.js";
export {
  type Probe, type ProbeContext, type PromptedModel, type MetricSpec, type MetricRole, type MetricValues, type ItemRecord,
  itemSeed, metricsOf,
} from "./probe.js";
export { accuracyProbe } from "./accuracy.js";
export { PROBES, PROBE_IDS, selectProbes, type ProbeId } from "./registry.js";
