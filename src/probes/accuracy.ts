/**
 * `task.accuracy`: the plain proxy — is the greedy response correct? (verified exactly,
 * judge.ts). The audit runs it twice when the two models are prompted in different
 * formats: each model in its own format (what a user sees), and the tuned model in the
 * base's format, so a gain that exists only in the fine-tune's chat template ("learned
 * the format") is told apart from a gain in the capability itself.
 */
import type { LanguageModel } from "../backends/index.js";
import { isReference, type Item } from "./item.js";
import { verify } from "./judge.js";
import type { ItemRecord, Probe, ProbeContext } from "./probe.js";
import { contextNote, greedyResponses } from "./respond.js";
import { clipText } from "./clip.js";


export const accuracyProbe: Probe = {
  id: "task.accuracy",
  version: 1,
  title: "Task accuracy",
  description: "Share of items answered correctly by the greedy response, judged by an exact verifier.",
  reference: "docs/PROBES.md §3 task.accuracy: the proxy of the reasoning, feasibility and N-1 probes",
  metrics: [
    {
      name: "accuracy", role: "proxy", kind: "binary", higherIsBetter: true, unit: "share", margin: 0.02,
      description: "the greedy response is correct",
    },
  ],
  // one row per task: pooling arithmetic with knowledge would average a gain with a loss
  perDomain: true,
  applies: (item: Item) => !isReference(item),
  async *run(model: LanguageModel, items: readonly Item[], ctx: ProbeContext): AsyncIterable<ItemRecord> {
    for (let i = 0; i < items.length; i += ctx.batchSize) {
      const batch = items.slice(i, i + ctx.batchSize);
      const misfits = new Map<number, Error>();
      const samples = await greedyResponses(model, batch, ctx, (j, e) => misfits.set(j, e));
      for (let j = 0; j < batch.length; j++) {
        const sample = samples[j];
        if (sample === null) {
          const note = `accuracy is null: ${contextNote("the prompt", misfits.get(j))}, so there is no greedy response`;
          yield { itemId: batch[j].id, values: { accuracy: null }, note, detail: { error: misfits.get(j)?.message ?? null } };
          continue;
        }
        const v = verify(batch[j], sample.text);
        const record: ItemRecord = {
          itemId: batch[j].id,
          values: { accuracy: v.correct ? 1 : 0 },
          detail: { response: clipText(sample.text), finish: sample.finishReason, ...(v.reason ? { reason: v.reason } : {}) },
        };
        yield record;
      }
    }
  },
};
