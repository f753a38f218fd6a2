/**
 * The training forward pass: tokens (B, T) → logits → masked cross-entropy, keeping
 * every activation backward needs. Key: B, T, C, NH, KVH, HS, F, V, L as in
 * activations.ts; N = B·T rows.
 */
import type { Buf, Kernels } from "../tensor/index.js";
import type { Activations } from "./activations.js";
import { modelDims, type ModelConfig } from "./config.js";
import { linearForward, type CrossEntropyResult, type RopeTable } from "./ops/index.js";
import { run } from "./ops/dispatch.js";
import type { ParamViews } from "./parameters.js";
import type { LoraPass } from "./lora-runtime.js";

export interface TrainBatch {
  B: number;
  T: number;
  tokens: Int32Array; // (B, T)
  targets: Int32Array; // (B, T) next tokens
  /** (B, T) loss weight per target; null = every token counts. */
  mask: Float32Array | null;
  /**
   * (B, T) positions; default 0..T−1 for every row. NOTE: attention is causal over the
   * row, with no segment mask: packed or padded rows attend across their boundaries.
   */
  positions?: Int32Array;
  /** Input embeddings that replace the token embedding at some rows (soft tokens: SoftCoT, prompt tuning). */
  embeds?: InputEmbeds;
}

/**
 * Soft tokens of a training batch: row `rows[i]` (an index b·T + t) takes `values`' row i
 * as its input embedding instead of its token's. Backward writes d loss / d values into
 * `grad` when one is given, and leaves the replaced rows out of the embedding table's gradient.
 */
export interface InputEmbeds {
  rows: Int32Array;
  /** (rows.length, C) */
  values: Float32Array | Float64Array;
  /** (rows.length, C), overwritten by backward. */
  grad?: Float32Array | Float64Array;
}

/** A batch the model cannot run: wrong lengths, ids outside the vocabulary, bad positions or mask. */
export class BatchError extends Error {
  readonly code = "bad_batch";
}

/** What is wrong with a batch for this config, or null. */
export function checkBatch(c: ModelConfig, b: TrainBatch): string | null {
  const { B, T } = b;
  const N = B * T;
  if (!(Number.isInteger(B) && B > 0 && Number.isInteger(T) && T > 0)) return `batch shape B=${B}, T=${T} must be positive integers`;
  if (T > c.contextLength) return `sequence length ${T} exceeds the model's context length ${c.contextLength}`;
  if (b.tokens.length !== N || b.targets.length !== N) return `tokens and targets must have B·T = ${N} entries (got ${b.tokens.length} and ${b.targets.length})`;
  const V = c.vocabSize;
  for (let i = 0; i < N; i++) {
    if (!(b.tokens[i] >= 0 && b.tokens[i] < V)) return `token id ${b.tokens[i]} at index ${i} is outside the vocabulary [0, ${V})`;
    if (!(b.targets[i] >= 0 && b.targets[i] < V)) return `target id ${b.targets[i]} at index ${i} is outside the vocabulary [0, ${V})`;
  }
  if (b.mask) {
    if (b.mask.length !== N) return `the loss mask has ${b.mask.length} entries; it needs B·T = ${N}`;
    for (let i = 0; i < N; i++) if (!(b.mask[i] >= 0 && Number.isFinite(b.mask[i]))) return `loss mask entry ${i} is ${b.mask[i]}; weights must be finite and ≥ 0`;
  }
  if (b.embeds) {
    const e = b.embeds, C = c.dim;
    if (e.values.length !== e.rows.length * C) return `embeds.values has ${e.values.length} entries; it needs rows (${e.rows.length}) × model width ${C}`;
    if (e.grad && e.grad.length !== e.values.length) return `embeds.grad has ${e.grad.length} entries; it needs ${e.values.length}, as values`;
    for (let i = 0; i < e.rows.length; i++) if (!(e.rows[i] >= 0 && e.rows[i] < N)) return `embeds row ${e.rows[i]} at index ${i} is outside the batch's B·T = ${N} rows`;
  }
  if (b.positions) {
    if (b.positions.length !== N) return `positions has ${b.positions.length} entries; it needs B·T = ${N}`;
    for (let i = 0; i < N; i++) {
      if (!(b.positions[i] >= 0 && b.positions[i] < c.contextLength)) return `position ${b.positions[i]} at index ${i} is outside [0, ${c.contextLength})`;
    }
  }
  return null;
}

export function defaultPositions(B: number, T: number): Int32Array {
  const p = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) p[b * T + t] = t;
  return p;
}

export function trainForward<B extends Buf>(
  k: Kernels, c: ModelConfig, p: ParamViews<B>, acts: Activations<B>, rope: RopeTable, batch: TrainBatch, positions: Int32Array,
  lora: LoraPass | null = null,
): CrossEntropyResult {
  const { B, T } = batch;
  const N = B * T;
  const { C, HS, NH, KVH, qD, kD, F, V } = modelDims(c);

  run.embeddingForward(k, { out: acts.layers.length ? acts.layers[0].resid : acts.residOut, tokens: batch.tokens, wte: p.embed, C });
  if (batch.embeds) setInputEmbeds(acts.layers.length ? acts.layers[0].resid : acts.residOut, batch.embeds, C);
  for (let l = 0; l < c.nLayers; l++) {
    const a = acts.layers[l];
    const w = p.layers[l];
    const next = l + 1 < c.nLayers ? acts.layers[l + 1].resid : acts.residOut;
    // attention block: resid2 = resid + o_proj(attn(rope(q), rope(k), v)) over rmsnorm(resid)
    run.rmsnormForward(k, { out: a.ln1, rstd: a.rstd1, inp: a.resid, weight: w.inputNorm, N, C, eps: c.normEps });
    linearForward(k, { out: a.q, inp: a.ln1, weight: w.wq, N, IN: C, OUT: qD });
    linearForward(k, { out: a.k, inp: a.ln1, weight: w.wk, N, IN: C, OUT: kD });
    linearForward(k, { out: a.v, inp: a.ln1, weight: w.wv, N, IN: C, OUT: kD });
    // an attached LoRA adapter adds s·(x Aᵀ)Bᵀ to each targeted projection (lora-ops.ts), before RoPE
    if (lora) {
      lora.forward(l, "q_proj", a.ln1, a.q);
      lora.forward(l, "k_proj", a.ln1, a.k);
      lora.forward(l, "v_proj", a.ln1, a.v);
    }
    run.ropeForward(k, { x: a.q, positions, H: NH, HS, table: rope });
    run.ropeForward(k, { x: a.k, positions, H: KVH, HS, table: rope });
    for (let b = 0; b < B; b++) {
      run.attentionForward(k, {
        Tq: T, Tk: T, qOffset: 0, NH, KVH, HS,
        out: a.y.subarray(b * T * qD, (b + 1) * T * qD),
        att: a.att.subarray(b * NH * T * T, (b + 1) * NH * T * T),
        q: a.q.subarray(b * T * qD, (b + 1) * T * qD),
        key: a.k.subarray(b * T * kD, (b + 1) * T * kD),
        value: a.v.subarray(b * T * kD, (b + 1) * T * kD),
      });
    }
    linearForward(k, { out: a.resid2, inp: a.y, weight: w.wo, N, IN: qD, OUT: C });
    lora?.forward(l, "o_proj", a.y, a.resid2);
    run.residualForward(k, { out: a.resid2, x: a.resid2, y: a.resid, n: N * C });
    // MLP block: next = resid2 + down(silu(gate(x)) ⊙ up(x)), x = rmsnorm(resid2)
    run.rmsnormForward(k, { out: a.ln2, rstd: a.rstd2, inp: a.resid2, weight: w.postNorm, N, C, eps: c.normEps });
    linearForward(k, { out: a.gate, inp: a.ln2, weight: w.wGate, N, IN: C, OUT: F });
    linearForward(k, { out: a.up, inp: a.ln2, weight: w.wUp, N, IN: C, OUT: F });
    if (lora) {
      lora.forward(l, "gate_proj", a.ln2, a.gate);
      lora.forward(l, "up_proj", a.ln2, a.up);
    }
    run.swigluForward(k, { out: a.h, gate: a.gate, up: a.up, n: N * F });
    linearForward(k, { out: next, inp: a.h, weight: w.wDown, N, IN: F, OUT: C });
    lora?.forward(l, "down_proj", a.h, next);
    run.residualForward(k, { out: next, x: next, y: a.resid2, n: N * C });
  }
  run.rmsnormForward(k, { out: acts.lnf, rstd: acts.rstdf, inp: acts.residOut, weight: p.finalNorm, N, C, eps: c.normEps });
  // logits are written into `probs`, which cross-entropy turns into the softmax in place
  linearForward(k, { out: acts.probs, inp: acts.lnf, weight: p.lmHead, N, IN: C, OUT: V });
  return run.crossEntropyForward(k, {
    logprobs: acts.logprobs, probs: acts.probs, logits: acts.probs, targets: batch.targets, mask: batch.mask, N, V,
  });
}

/** Soft tokens: overwrite the embedded rows `e.rows` of `x` (N, C) with `e.values`. */
function setInputEmbeds(x: Buf, e: InputEmbeds, C: number): void {
  for (let i = 0; i < e.rows.length; i++) x.set(e.values.subarray(i * C, (i + 1) * C), e.rows[i] * C);
}
