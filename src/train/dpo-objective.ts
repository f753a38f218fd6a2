/**
 * The DPO objective over encoded preference pairs (dpo.ts has the loss and its gradient;
 * data/pairs.ts the pairs). A pair is two rows of one (B, T) batch — chosen at row 2i,
 * rejected at 2i + 1 — right-padded; log π(y|x) is the sum of the per-token log-probs over
 * the response span (the response's targets and the end token).
 *
 * The reference's per-token log-probs are computed once, before training, in the pairs'
 * own order and micro-batches (`referenceLogprobs`); the reference is frozen, so a resumed
 * run recomputes the same numbers. The pairs of update `step` are rows g = step·B + b of
 * the seeded epoch order (data/chat.ts epochOrder), a pure function of the step.
 */
import type { Llama, TrainBatch } from "../model/index.js";
import { epochOrder } from "./data/chat.js";
import type { EncodedPair } from "./data/pairs.js";
import { dpoPair, klToken } from "./dpo.js";
import type { Objective } from "./objective.js";

/** A pair's response spans: flat indices [start, end) of the chosen and the rejected row's targets in its batch. */
interface PairSpans {
  chosen: { start: number; end: number };
  rejected: { start: number; end: number };
}

/** Pairs as a (2·n, T) batch, chosen then rejected per pair, and their response spans. */
export function pairBatch(pairs: readonly EncodedPair[], T: number, pad: number): { batch: TrainBatch; spans: PairSpans[] } {
  const B = 2 * pairs.length;
  const batch: TrainBatch = { B, T, tokens: new Int32Array(B * T).fill(pad), targets: new Int32Array(B * T).fill(pad), mask: null };
  const put = (row: number, ids: Int32Array, responseStart: number) => {
    const n = ids.length - 1;
    if (n > T) throw new Error(`pair row of ${n} positions does not fit T = ${T}`);
    batch.tokens.set(ids.subarray(0, n), row * T);
    batch.targets.set(ids.subarray(1), row * T);
    // the first response token is predicted at the prompt's last position
    return { start: row * T + responseStart - 1, end: row * T + n };
  };
  const spans = pairs.map((p, i) => ({ chosen: put(2 * i, p.chosen, p.responseStart), rejected: put(2 * i + 1, p.rejected, p.responseStart) }));
  return { batch, spans };
}

/** Per pair: the reference's per-token log-probs on each response span. */
export interface PairLogprobs {
  chosen: Float32Array;
  rejected: Float32Array;
}

const sum = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
};

/** The frozen reference's log-probs of every pair, `microBatch` pairs per forward, in order. */
export function referenceLogprobs(reference: Llama<Float32Array>, pairs: readonly EncodedPair[], T: number, microBatch: number, pad: number): PairLogprobs[] {
  const out: PairLogprobs[] = [];
  for (let start = 0; start < pairs.length; start += microBatch) {
    const { batch, spans } = pairBatch(pairs.slice(start, start + microBatch), T, pad);
    reference.forward(batch);
    const lp = reference.lastLogprobs();
    for (const s of spans) out.push({ chosen: lp.slice(s.chosen.start, s.chosen.end), rejected: lp.slice(s.rejected.start, s.rejected.end) });
  }
  return out;
}

export interface DpoObjectiveOptions {
  pairs: readonly EncodedPair[];
  reference: readonly PairLogprobs[];
  /** Pairs per update. */
  batchSize: number;
  /** Pairs per forward/backward (gradients accumulate). */
  microBatch: number;
  T: number;
  beta: number;
  pad: number;
  /** Seeds the epoch order of the pairs. */
  seed: number;
}

export function dpoObjective(o: DpoObjectiveOptions): Objective {
  const n = o.pairs.length;
  let cached: { epoch: number; perm: number[] } | null = null;
  const pairAt = (g: number) => {
    const epoch = Math.floor(g / n);
    if (cached?.epoch !== epoch) cached = { epoch, perm: epochOrder(n, o.seed, epoch) };
    return cached.perm[g % n];
  };
  return {
    gradients(policy, step) {
      const B = o.batchSize;
      const indices = Array.from({ length: B }, (_, b) => pairAt(step * B + b));
      let loss = 0, margin = 0, correct = 0, chosenReward = 0, rejectedReward = 0, kl = 0, klTokens = 0, tokens = 0;
      for (let start = 0; start < B; start += o.microBatch) {
        const part = indices.slice(start, start + o.microBatch);
        const { batch, spans } = pairBatch(part.map((i) => o.pairs[i]), o.T, o.pad);
        policy.forward(batch);
        const lp = policy.lastLogprobs();
        const weights = new Float32Array(batch.B * batch.T);
        part.forEach((i, k) => {
          const { chosen: c, rejected: r } = spans[k];
          const ref = o.reference[i];
          const t = dpoPair({
            policyChosen: sum(lp.subarray(c.start, c.end)), policyRejected: sum(lp.subarray(r.start, r.end)),
            refChosen: sum(ref.chosen), refRejected: sum(ref.rejected),
          }, o.beta);
          weights.fill(t.weight / B, c.start, c.end);
          weights.fill(-t.weight / B, r.start, r.end);
          loss += t.loss;
          margin += t.margin;
          if (t.margin > 0) correct++;
          chosenReward += t.chosenReward;
          rejectedReward += t.rejectedReward;
          for (let j = c.start; j < c.end; j++) kl += klToken(lp[j], ref.chosen[j - c.start]);
          klTokens += c.end - c.start;
          tokens += c.end - c.start + r.end - r.start;
        });
        policy.reweight(weights, 1);
        if (weights.some((w) => w !== 0)) policy.backward();
      }
      return {
        loss: loss / B,
        tokens,
        metrics: { margin: margin / B, accuracy: correct / B, chosenReward: chosenReward / B, rejectedReward: rejectedReward / B, kl: klTokens ? kl / klTokens : 0 },
      };
    },
  };
}
