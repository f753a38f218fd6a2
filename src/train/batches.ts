/**
 * Batches for next-token training: (B, T) windows cut from a token stream at seeded
 * random offsets; targets are the tokens shifted by one. A source is a pure function
 * of the step number, so a resumed run sees exactly the batches it would have seen.
 */
import { createRng } from "../random/index.js";
import type { TrainBatch } from "../model/index.js";

export interface BatchSource {
  /** The batch for 0-based update `step`; the same step always gives the same batch. */
  batch(step: number): TrainBatch;
  /** What the data are (counts, a sha256 of the tokens …): recorded in run.json, and a resume must match it. */
  info?: Record<string, string | number>;
  /** Why this source cannot train at all (e.g. every example dropped); runLab refuses to start. */
  problem?: string;
}

/** A per-step seed from the run seed (splitmix-style integer hash). */
export function stepSeed(seed: number, step: number): number {
  let x = (seed ^ Math.imul(step + 1, 0x9e3779b9)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function windowBatches(stream: Int32Array, B: number, T: number, seed: number): BatchSource {
  if (stream.length < T + 1) throw new Error(`token stream of ${stream.length} tokens is shorter than one window (T + 1 = ${T + 1})`);
  return {
    batch(step: number): TrainBatch {
      const rng = createRng(stepSeed(seed, step));
      const tokens = new Int32Array(B * T);
      const targets = new Int32Array(B * T);
      for (let b = 0; b < B; b++) {
        const start = rng.int(stream.length - T);
        tokens.set(stream.subarray(start, start + T), b * T);
        targets.set(stream.subarray(start + 1, start + T + 1), b * T);
      }
      return { B, T, tokens, targets, mask: null };
    },
  };
}
