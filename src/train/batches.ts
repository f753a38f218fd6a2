/**
 * Batches for next-token training: (B, T) windows cut from a token stream at seeded
 * random offsets; targets are the tokens shifted by one.
 */
import type { Rng } from "../model/index.js";
import type { TrainBatch } from "../model/index.js";

export interface BatchSource {
  /** The next training batch; every call advances the source's own seeded state. */
  next(): TrainBatch;
}

export function windowBatches(stream: Int32Array, B: number, T: number, rng: Rng): BatchSource {
  if (stream.length < T + 1) throw new Error(`token stream of ${stream.length} tokens is shorter than one window (T + 1 = ${T + 1})`);
  return {
    next(): TrainBatch {
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
