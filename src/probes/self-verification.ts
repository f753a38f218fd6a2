/**
 * The generation-verification gap (docs/PROBES.md §3;
 * Song et al. 2024, "Mind the Gap: Examining the Self-Improvement Capabilities of Large
 * Language Models", arXiv 2412.02674): self-improvement can only help as far as a model's
 * own verification picks out its correct answers better than chance.
 *
 * Per item, ctx.samples samples at temperature 1 in one seeded request (salt "gv"). Each
 * sample is put back to the model as
 *
 *   render(item.prompt) + sample + VERIFICATION_QUESTION      scored with " Yes" and " No"
 *
 * and kept iff log p(" Yes") > log p(" No") (a tie rejects). With the item's verifier:
 *
 *   self-accept        (proxy) share of the samples the model accepts
 *   gen-utility        gen_util = share of the samples that are correct
 *   verification-gap   (verif_util − gen_util) / (1 − gen_util), verif_util = share correct
 *                      among the kept samples; 1 = verification keeps only correct samples,
 *                      0 = it keeps no better than chance, < 0 = worse. Null when gen_util = 1
 *                      (nothing to gain) or no sample is kept. The ledger's mean over items is
 *                      the verification-gap of docs/PROBES.md §3.
 *
 * NOTE: the zoo's models never saw a verification prompt, so their Yes/No is near chance;
 * sft task "arithmetic+verification" teaches this frame (src/train data/verification.ts).
 * NOTE: a sample whose verification prompt does not fit the model's context cannot be
 * scored; such samples are left out of all three metrics (the note says how many). An
 * item whose rendered prompt does not fit has no samples: all three are null with a note.
 * Any other error is thrown (respond.ts generationsFitting, scoreFitting).
 * "Track across rounds of self-training" is the audit's business (one run per round).
 */
import type { GenerateRequest, LanguageModel, ScoreRequest } from "../backends/index.js";
import { isReference, type Item } from "./item.js";
import { verify } from "./judge.js";
import { itemSeed, type ItemRecord, type MetricSpec, type Probe, type ProbeContext } from "./probe.js";
import { contextNote, generationsFitting, scoreFitting } from "./respond.js";
import { clipText } from "./clip.js";

// The frame lives in the world (src/world verification.ts), shared with the lab data that teach it.
import { NO, VERIFICATION_QUESTION, YES, verificationPrompt } from "../world/index.js";
export { NO, VERIFICATION_QUESTION, YES, verificationPrompt };

const DETAIL_CHARS = 200;
const DETAIL_SAMPLES = 16;

const METRICS: readonly MetricSpec[] = [
  { name: "self-accept", role: "proxy", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.05,
    description: "share of an item's samples the model itself judges correct (log p(Yes) > log p(No))" },
  { name: "gen-utility", role: "capability", kind: "continuous", higherIsBetter: true, unit: "share", margin: 0.03,
    description: "share of an item's samples (temperature 1) that are correct by the item's verifier" },
  { name: "verification-gap", role: "capability", kind: "continuous", higherIsBetter: true, unit: "number", margin: 0.05,
    description: "(accuracy of the self-accepted samples − accuracy of all) / (1 − accuracy of all): how much self-verification helps" },
];

/** One sample with its own verdict and the model's. */
export interface VerifiedSample {
  text: string;
  correct: boolean;
  /** log p(" Yes") and log p(" No") after the verification prompt; undefined when it could not be scored. */
  yes?: number;
  no?: number;
  /** Why it could not be scored. */
  error?: string;
}

function mean(xs: readonly boolean[]): number {
  return xs.filter(Boolean).length / xs.length;
}

/** The record of one item from its verified samples: a pure function of (item, samples). */
export function selfVerificationRecord(item: Item, samples: readonly VerifiedSample[]): ItemRecord {
  const scored = samples.filter((s) => s.yes !== undefined && s.no !== undefined);
  const accepted = scored.map((s) => s.yes! > s.no!);
  const notes: string[] = [];
  const unscored = samples.length - scored.length;
  if (unscored > 0) {
    const first = samples.find((s) => s.error !== undefined)?.error ?? "not scored";
    notes.push(`${unscored} of ${samples.length} samples could not be scored (${first}); the metrics use the other ${scored.length}`);
  }
  const values: Record<string, number | null> = { "self-accept": null, "gen-utility": null, "verification-gap": null };
  let verifUtil: number | null = null;
  if (scored.length === 0) notes.push("no sample could be scored");
  else {
    const gen = mean(scored.map((s) => s.correct));
    const kept = scored.filter((_, i) => accepted[i]);
    values["self-accept"] = kept.length / scored.length;
    values["gen-utility"] = gen;
    verifUtil = kept.length === 0 ? null : mean(kept.map((s) => s.correct));
    if (gen === 1) notes.push("verification-gap: every sample is correct, so verification has nothing to gain");
    else if (verifUtil === null) notes.push("verification-gap: the model accepts none of its samples");
    else values["verification-gap"] = (verifUtil - gen) / (1 - gen);
  }
  const detail: Record<string, unknown> = {
    question: VERIFICATION_QUESTION,
    verifUtility: verifUtil,
    nSamples: samples.length,
    samples: samples.slice(0, DETAIL_SAMPLES).map((s) => {
      const d: Record<string, unknown> = { text: clipText(s.text, DETAIL_CHARS), correct: s.correct };
      if (s.yes !== undefined && s.no !== undefined) Object.assign(d, { yes: s.yes, no: s.no, accepted: s.yes > s.no });
      if (s.error !== undefined) d.error = s.error;
      return d;
    }),
  };
  const record: ItemRecord = { itemId: item.id, values, detail };
  if (notes.length > 0) record.note = notes.join("; ");
  return record;
}

function request(item: Item, ctx: ProbeContext): GenerateRequest {
  return { prompt: ctx.render(item.prompt), maxTokens: ctx.maxTokens, temperature: 1, seed: itemSeed(ctx.seed, item.id, "gv"), n: ctx.samples };
}

export const selfVerificationProbe: Probe = {
  id: "self-verification.gap",
  version: 1,
  title: "Generation-verification gap",
  description:
    "Samples several answers to each question, asks the model whether each is correct, and measures how much keeping only " +
    "the answers it approves of would raise accuracy.",
  reference: "Song et al. 2024, Mind the Gap: Examining the Self-Improvement Capabilities of Large Language Models (arXiv 2412.02674)",
  metrics: METRICS,
  perDomain: true,
  applies: (item) => !isReference(item) && (item.world !== undefined || item.answer.trim() !== ""),
  async *run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
    const size = Math.max(1, ctx.batchSize);
    for (let at = 0; at < items.length; at += size) {
      const batch = items.slice(at, at + size);
      const unfit = new Map<number, Error>();
      const gens = await generationsFitting(model, batch.map((it) => request(it, ctx)), size, (i, e) => unfit.set(i, e));
      // an item whose prompt does not fit has no samples (and so no score requests)
      const texts = batch.map((item, i) => {
        const gen = gens[i];
        if (gen === null) return [];
        const got = gen.samples;
        if (got.length !== ctx.samples) throw new Error(`self-verification: ${item.id}: asked for ${ctx.samples} samples, the backend returned ${got.length}`);
        return got.map((s) => s.text);
      });
      // two score requests per sample, item-major: " Yes" then " No"
      const reqs: ScoreRequest[] = batch.flatMap((item, i) => {
        const rendered = ctx.render(item.prompt);
        return texts[i].flatMap((t) => [YES, NO].map((continuation) => ({ prompt: verificationPrompt(rendered, t), continuation })));
      });
      const misfits = new Map<number, Error>();
      const scores = await scoreFitting(model, reqs, size, (j, e) => misfits.set(j, e));
      let k = 0;
      for (const [i, item] of batch.entries()) {
        if (gens[i] === null) {
          yield {
            itemId: item.id,
            values: { "self-accept": null, "gen-utility": null, "verification-gap": null },
            note: `every metric is null: ${contextNote("the prompt", unfit.get(i))}, so there are no samples`,
            detail: { question: VERIFICATION_QUESTION, nSamples: 0, error: unfit.get(i)?.message ?? null },
          };
          continue;
        }
        const samples = texts[i].map((text): VerifiedSample => {
          const at = k;
          const yes = scores[k++];
          const no = scores[k++];
          const s: VerifiedSample = { text, correct: verify(item, text).correct };
          if (yes === null || no === null) {
            const e = misfits.get(yes === null ? at : at + 1);
            s.error = contextNote("the verification prompt", e) + (e ? `: ${e.message}` : "");
          } else {
            s.yes = yes.logprob;
            s.no = no.logprob;
          }
          return s;
        });
        yield selfVerificationRecord(item, samples);
      }
    }
  },
};
