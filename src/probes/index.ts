/**
 * Probes: measurements of a LanguageModel on items, one file each. The Probe contract
 * (probe.ts) is what src/audit runs; every probe yields per-item records of its proxy and
 * capability metrics, and aggregation (intervals, paired tests) is src/stats's job.
 */
export { type Item, type VerifierName, VERIFIERS, expectsReasoning, isReference, fromWorld, clusterOf } from "./item.js";
export {
  greedyResponses, forcedAnswers, generateFitting, generationsFitting, scoreFitting, isContextError, contextLengthOf, contextNote,
  type OnMisfit,
} from "./respond.js";
export { clipText, DETAIL_CHARS } from "./clip.js";
export { ANSWER_CUE, readReasoning, readDirect, answerOf, verify, type ReadResponse } from "./judge.js";
export { type PromptFormat, type Render, parsePromptFormat, promptFormatName, renderer } from "./prompt-format.js";
export {
  type Probe, type ProbeContext, type PromptedModel, type MetricSpec, type MetricRole, type MetricValues, type ItemRecord,
  itemSeed, metricsOf,
} from "./probe.js";
export { accuracyProbe } from "./accuracy.js";
export { PROBES, PROBE_IDS, selectProbes, type ProbeId } from "./registry.js";
