/**
 * The calls most probes share: a model's greedy response to each item in its own prompt
 * format, and forced answers after a prefix. Identical requests across probes are
 * answered once by the audit's request cache.
 */
import type { GenerateRequest, LanguageModel, Sample } from "../backends/index.js";
import { inBatches } from "./frame.js";
import type { Item } from "./item.js";
import type { ProbeContext } from "./probe.js";

/** Greedy full responses, one per item, in item order. */
export async function greedyResponses(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): Promise<Sample[]> {
  const reqs: GenerateRequest[] = items.map((it) => ({ prompt: ctx.render(it.prompt), maxTokens: ctx.maxTokens, temperature: 0 }));
  return firstSamples(model, reqs, ctx.batchSize);
}

/**
 * The answer a model gives right after `prefix` (a rendered prompt, a partial chain of
 * thought, and the answer cue): greedy, up to the end of the line.
 */
export async function forcedAnswers(model: LanguageModel, prefixes: readonly string[], ctx: Pick<ProbeContext, "batchSize">, maxTokens = 24): Promise<string[]> {
  const reqs: GenerateRequest[] = prefixes.map((prompt) => ({ prompt, maxTokens, temperature: 0, stop: ["\n"] }));
  const samples = await firstSamples(model, reqs, ctx.batchSize);
  return samples.map((s) => s.text.split("\n")[0].trim());
}

/** generateBatch in batches; the first sample of each request. */
export async function firstSamples(model: LanguageModel, reqs: readonly GenerateRequest[], batchSize: number): Promise<Sample[]> {
  const gens = await inBatches(reqs, batchSize, (b) => model.generateBatch(b));
  return gens.map((g, i) => {
    const s = g.samples[0];
    if (!s) throw new Error(`request ${i}: the backend returned no sample`);
    return s;
  });
}
