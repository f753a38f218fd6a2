/**
 * Inference forward over a ragged batch: several sequences, each with its own KV cache,
 * each contributing some new rows (a whole prompt when prefilling, one token when
 * decoding). The linear layers run once over all rows; attention runs per sequence
 * against its cache (the sequences with a few new rows together, in one attentionDecode
 * call). No activations are kept (no backward).
 *
 * Key: N rows in all, C channels, NH/KVH heads, HS head size, F ffn, V vocab.
 */
import type { Kernels } from "../tensor/index.js";
import { modelDims } from "./config.js";
import type { KvCache } from "./kvcache.js";
import type { Llama } from "./model.js";
import { DECODE_MAX_ROWS, linearForward, type DecodeAttention } from "./ops/index.js";
import { run } from "./ops/dispatch.js";

export interface Segment {
  cache: KvCache;
  /** New token ids, or null when `embeds` is given. */
  tokens: Int32Array | null;
  /** Input embeddings (n, C) instead of token ids: soft tokens, prompt tuning. */
  embeds?: Float32Array;
  /** Which of this segment's rows need logits: "last", "all", or none. */
  logits: "last" | "all" | "none";
}

export interface InferOptions {
  /** Called with the residual stream (N, C) after the embeddings (layer −1) and after each layer. */
  onHidden?: (layer: number, hidden: Float32Array) => void;
}

function segmentLength(s: Segment, C: number, i: number): number {
  let n: number;
  if (s.tokens) n = s.tokens.length;
  else if (s.embeds) {
    if (s.embeds.length % C !== 0) throw new Error(`segment ${i}: embeds has ${s.embeds.length} values, not a multiple of the model width ${C}`);
    n = s.embeds.length / C;
  } else throw new Error(`segment ${i} needs tokens or embeds`);
  if (n === 0) throw new Error(`segment ${i} has no rows; give at least one token`);
  return n;
}

/** Runs the segments, appends to their caches, and returns logits (rows, V) per segment. */
export function inferForward(model: Llama<Float32Array>, segments: Segment[], opts: InferOptions = {}): Float32Array[] {
  const k: Kernels = model.kernels;
  const c = model.config;
  const p = model.params;
  const { C, HS, NH, KVH, qD, kD, F, V } = modelDims(c);
  if (segments.length === 0) throw new Error("inferForward needs at least one segment");
  const lens = segments.map((s, i) => segmentLength(s, C, i));
  const starts = segments.map((s) => s.cache.length);
  const N = lens.reduce((a, b) => a + b, 0);
  segments.forEach((s, i) => {
    if (starts[i] + lens[i] > s.cache.capacity) {
      throw new Error(`sequence ${i} would reach ${starts[i] + lens[i]} positions, beyond the cache capacity ${s.cache.capacity} (context length ${c.contextLength})`);
    }
  });

  // 1. embeddings and positions for every new row
  const x = new Float32Array(N * C); // (N, C) residual stream
  const positions = new Int32Array(N);
  let row = 0;
  segments.forEach((s, i) => {
    const rows = x.subarray(row * C, (row + lens[i]) * C);
    if (s.tokens) {
      for (const t of s.tokens) if (!(t >= 0 && t < V)) throw new Error(`token id ${t} is outside the vocabulary [0, ${V})`);
      run.embeddingForward(k, { out: rows, tokens: s.tokens, wte: p.embed, C });
    } else rows.set(s.embeds!);
    for (let t = 0; t < lens[i]; t++) positions[row + t] = starts[i] + t;
    row += lens[i];
  });
  opts.onHidden?.(-1, x);

  const ln = new Float32Array(N * C), rstd = new Float32Array(N);
  const q = new Float32Array(N * qD), kk = new Float32Array(N * kD), vv = new Float32Array(N * kD);
  const y = new Float32Array(N * qD), branch = new Float32Array(N * C);
  const gate = new Float32Array(N * F), up = new Float32Array(N * F);
  const maxLen = Math.max(...segments.map((s, i) => starts[i] + lens[i]));
  const att = new Float32Array(NH * Math.max(...lens) * maxLen);

  // an attached LoRA adapter adds s·(x Aᵀ)Bᵀ to its layers' outputs (no dropout at inference)
  const lora = model.lora ? model.lora.inferPass(k, N) : null;
  for (let l = 0; l < c.nLayers; l++) {
    const w = p.layers[l];
    // 2. attention block, writing this step's keys/values into each cache
    run.rmsnormForward(k, { out: ln, rstd, inp: x, weight: w.inputNorm, N, C, eps: c.normEps });
    linearForward(k, { out: q, inp: ln, weight: w.wq, N, IN: C, OUT: qD });
    linearForward(k, { out: kk, inp: ln, weight: w.wk, N, IN: C, OUT: kD });
    linearForward(k, { out: vv, inp: ln, weight: w.wv, N, IN: C, OUT: kD });
    if (lora) {
      lora.forward(l, "q_proj", ln, q);
      lora.forward(l, "k_proj", ln, kk);
      lora.forward(l, "v_proj", ln, vv);
    }
    run.ropeForward(k, { x: q, positions, H: NH, HS, table: model.rope });
    run.ropeForward(k, { x: kk, positions, H: KVH, HS, table: model.rope });
    // sequences that bring a few rows (decoding) share one call, which may run them in
    // parallel; each is computed as a call of its own would compute it
    const short: DecodeAttention<Float32Array>[] = [];
    row = 0;
    segments.forEach((s, i) => {
      const n = lens[i], start = starts[i], Tk = start + n;
      s.cache.k[l].set(kk.subarray(row * kD, (row + n) * kD), start * kD);
      s.cache.v[l].set(vv.subarray(row * kD, (row + n) * kD), start * kD);
      const key = s.cache.k[l].subarray(0, Tk * kD), value = s.cache.v[l].subarray(0, Tk * kD);
      if (n <= DECODE_MAX_ROWS) short.push({ row, Tq: n, Tk, key, value });
      else {
        run.attentionForward(k, {
          Tq: n, Tk, qOffset: start, NH, KVH, HS,
          out: y.subarray(row * qD, (row + n) * qD), att: att.subarray(0, NH * n * Tk),
          q: q.subarray(row * qD, (row + n) * qD), key, value,
        });
      }
      row += n;
    });
    if (short.length > 0) run.attentionDecode(k, { out: y, q, NH, KVH, HS, seqs: short });
    linearForward(k, { out: branch, inp: y, weight: w.wo, N, IN: qD, OUT: C });
    lora?.forward(l, "o_proj", y, branch);
    run.residualForward(k, { out: x, x, y: branch, n: N * C });
    // 3. MLP block
    run.rmsnormForward(k, { out: ln, rstd, inp: x, weight: w.postNorm, N, C, eps: c.normEps });
    linearForward(k, { out: gate, inp: ln, weight: w.wGate, N, IN: C, OUT: F });
    linearForward(k, { out: up, inp: ln, weight: w.wUp, N, IN: C, OUT: F });
    if (lora) {
      lora.forward(l, "gate_proj", ln, gate);
      lora.forward(l, "up_proj", ln, up);
    }
    run.swigluForward(k, { out: gate, gate, up, n: N * F });
    linearForward(k, { out: branch, inp: gate, weight: w.wDown, N, IN: F, OUT: C });
    lora?.forward(l, "down_proj", gate, branch);
    run.residualForward(k, { out: x, x, y: branch, n: N * C });
    opts.onHidden?.(l, x);
  }
  segments.forEach((s, i) => (s.cache.length = starts[i] + lens[i]));

  // 4. final norm and LM head, only for the rows that asked for logits
  const out: Float32Array[] = [];
  row = 0;
  segments.forEach((s, i) => {
    const n = lens[i];
    const first = s.logits === "all" ? row : row + n - 1;
    const count = s.logits === "all" ? n : s.logits === "last" ? 1 : 0;
    const logits = new Float32Array(count * V);
    if (count > 0) {
      const h = new Float32Array(count * C);
      run.rmsnormForward(k, { out: h, rstd: new Float32Array(count), inp: x.subarray(first * C, (first + count) * C), weight: p.finalNorm, N: count, C, eps: c.normEps });
      linearForward(k, { out: logits, inp: h, weight: p.lmHead, N: count, IN: C, OUT: V });
    }
    out.push(logits);
    row += n;
  });
  return out;
}
