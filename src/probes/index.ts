/**
 * Probes: measurements of a LanguageModel on world items, one file each. Every function
 * returns per-item records (id, correct, the response or choice, extra fields) and
 * nothing else; aggregation (proportions, intervals, paired tests) is src/stats's job.
 * (The Probe interface of DESIGN.md builds on these.)
 */
export { FRAMES, type Frame, type OnProgress, frameRequest, inBatches } from "./frame.js";
export { generationAccuracy, type GenerationOptions, type GenerationRecord } from "./generation-accuracy.js";
export { rankingAccuracy, type RankingOptions, type RankingRecord } from "./ranking-accuracy.js";
export {
  sampleFormats, solutionFormat, RESPONSE_FORMATS, type ResponseFormat, type FormatSampleOptions, type FormatSampleRecord,
} from "./format-shares.js";
