/**
 * Inference forward over a ragged batch: several sequences, each with its own KV cache,
 * each contributing some new rows (a whole prompt when prefilling, one token when
 * decoding). The linear layers run once over all rows; attention runs per sequence
 * against its cache (the sequences with a few new rows together, in one attentionDecode
 * call). No activations are kept (no backward). The work buffers come from the model's
 * workspace (infer-workspace.ts), reused from call to call; the logits returned are new.
 *
 * Key: N rows in all, C channels, NH/KVH heads, HS head size, F ffn, V vocab.
 */
import type { Kernels } from "../tensor/index.js";
import { modelDims } from "./config.js";
import { inferWorkspace } from "./infer-workspace.js";
import type { KvCache } from "./kvcache.js";
import type { Llama } from "./model.js";
import { DECODE_MAX_ROWS, linearForward, type AttentionShape, type DecodeAttention } from "./ops/index.js";
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
  /**
   * Called with the residual stream (N, C) after the embeddings (layer −1) and after each
   * layer. `hidden` is a work buffer, valid during the callback only: copy what you keep.
   */
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

/** Arguments of one long sequence's attentionForward, made once per call; key and value are set per layer. */
type LongAttention = AttentionShape & { out: Float32Array; att: Float32Array; q: Float32Array; key: Float32Array; value: Float32Array };

/** Runs the segments, appends to their caches, and returns logits (rows, V) per segment. */
export function inferForward(model: Llama<Float32Array>, segments: Segment[], opts: InferOptions = {}): Float32Array[] {
  const k: Kernels = model.kernels;
  const c = model.config;
  const p = model.params;
  const { C, HS, NH, KVH, qD, kD, F, V } = modelDims(c);
  const S = segments.length;
  if (S === 0) throw new Error("inferForward needs at least one segment");
  const lens: number[] = new Array(S), starts: number[] = new Array(S);
  let N = 0, att = 0, head = 0, logitRows = 0;
  for (let i = 0; i < S; i++) lens[i] = segmentLength(segments[i], C, i);
  for (let i = 0; i < S; i++) {
    const s = segments[i];
    const n = lens[i], start = (starts[i] = s.cache.length);
    if (start + n > s.cache.capacity) {
      throw new Error(`sequence ${i} would reach ${start + n} positions, beyond the cache capacity ${s.cache.capacity} (context length ${c.contextLength})`);
    }
    N += n;
    if (n > DECODE_MAX_ROWS) att = Math.max(att, NH * n * (start + n));
    const count = s.logits === "all" ? n : s.logits === "last" ? 1 : 0;
    head = Math.max(head, count);
    logitRows += count;
  }
  // when every row asks for logits (decoding, scoring), one final norm covers them all
  const normAll = logitRows === N;
  if (normAll) head = N;
  for (const { tokens } of segments) {
    if (!tokens) continue;
    for (let j = 0; j < tokens.length; j++) {
      const t = tokens[j];
      if (!(t >= 0 && t < V)) throw new Error(`token id ${t} is outside the vocabulary [0, ${V})`);
    }
  }

  const ws = inferWorkspace(model);
  const b = ws.acquire({ N, C, qD, kD, F, att, head });
  try {
    const { x, positions, ln, rstd, q, kk, vv, y, branch, gate, up } = b;

    // 1. embeddings and positions for every new row (one gather: rows given as embeddings
    //    gather token 0, then take their embeddings); the per-sequence views the layers use
    const ids = b.tokens;
    for (let i = 0, row = 0; i < S; i++) {
      const s = segments[i], n = lens[i], start = starts[i];
      if (s.tokens) ids.set(s.tokens, row);
      else ids.fill(0, row, row + n);
      for (let t = 0; t < n; t++) positions[row + t] = start + t;
      row += n;
    }
    run.embeddingForward(k, { out: x, tokens: ids, wte: p.embed, C });
    const kRows: Float32Array[] = new Array(S), vRows: Float32Array[] = new Array(S);
    // sequences that bring a few rows (decoding) share one attentionDecode call, which may
    // run them in parallel; each is computed as a call of its own would compute it
    const short: DecodeAttention<Float32Array>[] = [], shortSeq: number[] = [];
    const long: { seq: number; a: LongAttention }[] = [];
    for (let i = 0, row = 0; i < S; i++) {
      const s = segments[i], n = lens[i], start = starts[i], Tk = start + n;
      if (!s.tokens) x.set(s.embeds!, row * C);
      kRows[i] = kk.subarray(row * kD, (row + n) * kD);
      vRows[i] = vv.subarray(row * kD, (row + n) * kD);
      // key/value: the whole cache buffer; the kernels read its first Tk rows
      if (n <= DECODE_MAX_ROWS) {
        short.push({ row, Tq: n, Tk, key: s.cache.k[0], value: s.cache.v[0] });
        shortSeq.push(i);
      } else {
        long.push({ seq: i, a: {
          Tq: n, Tk, qOffset: start, NH, KVH, HS,
          out: y.subarray(row * qD, (row + n) * qD), att: b.att.subarray(0, NH * n * Tk),
          q: q.subarray(row * qD, (row + n) * qD), key: s.cache.k[0], value: s.cache.v[0],
        } });
      }
      row += n;
    }
    opts.onHidden?.(-1, x);

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
      for (let i = 0; i < S; i++) {
        const cache = segments[i].cache;
        cache.k[l].set(kRows[i], starts[i] * kD);
        cache.v[l].set(vRows[i], starts[i] * kD);
      }
      for (const { seq, a } of long) {
        a.key = segments[seq].cache.k[l];
        a.value = segments[seq].cache.v[l];
        run.attentionForward(k, a);
      }
      if (short.length > 0) {
        for (let j = 0; j < short.length; j++) {
          const cache = segments[shortSeq[j]].cache;
          short[j].key = cache.k[l];
          short[j].value = cache.v[l];
        }
        run.attentionDecode(k, { out: y, q, NH, KVH, HS, seqs: short });
      }
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
    for (let i = 0; i < S; i++) segments[i].cache.length = starts[i] + lens[i];

    // 4. final norm and LM head, only for the rows that asked for logits (norm rows are
    //    independent: normed all at once or per segment, each row comes out the same)
    if (normAll) run.rmsnormForward(k, { out: b.h, rstd: b.hRstd, inp: x, weight: p.finalNorm, N, C, eps: c.normEps });
    const out: Float32Array[] = new Array(S);
    for (let i = 0, row = 0; i < S; i++) {
      const s = segments[i], n = lens[i];
      const first = s.logits === "all" ? row : row + n - 1;
      const count = s.logits === "all" ? n : s.logits === "last" ? 1 : 0;
      const logits = new Float32Array(count * V); // the caller's: never a work buffer
      if (count > 0) {
        let h: Float32Array;
        if (normAll) h = count === N ? b.h : b.h.subarray(first * C, (first + count) * C);
        else {
          h = count === head ? b.h : b.h.subarray(0, count * C);
          const hRstd = count === head ? b.hRstd : b.hRstd.subarray(0, count);
          run.rmsnormForward(k, { out: h, rstd: hRstd, inp: x.subarray(first * C, (first + count) * C), weight: p.finalNorm, N: count, C, eps: c.normEps });
        }
        linearForward(k, { out: logits, inp: h, weight: p.lmHead, N: count, IN: C, OUT: V });
      }
      out[i] = logits;
      row += n;
    }
    return out;
  } finally {
    ws.release(b);
  }
}
