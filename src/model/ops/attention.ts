/**
 * Causal scaled dot-product attention with grouped-query heads (Vaswani et al. 2017;
 * GQA: Ainslie et al. 2023). Query head h reads key/value head ⌊h / (NH/KVH)⌋, as
 * Hugging Face's `repeat_kv` arranges them.
 *
 * Shapes, for one sequence:
 *   Tq queries at positions qOffset … qOffset+Tq−1, Tk keys at positions 0 … Tk−1
 *   q   (Tq, NH·HS)      k, v (Tk, KVH·HS)      out (Tq, NH·HS)
 *   att (NH, Tq, Tk)     softmax probabilities, 0 where the key is in the future
 * Training uses qOffset = 0, Tq = Tk = T; KV-cache decoding uses the cache as k, v.
 */
import { DECODE_MAX_ROWS, type AttentionShape, type Buf, type DecodeAttention, type Kernels } from "../../tensor/index.js";
import { matmul } from "./linear.js";

export type { AttentionShape, DecodeAttention };
export { DECODE_MAX_ROWS };

export function attentionForward(k: Kernels, a: AttentionShape & { out: Buf; att: Buf; q: Buf; key: Buf; value: Buf }): void {
  const { Tq, Tk, qOffset, NH, KVH, HS, out, att, q, key, value } = a;
  const qD = NH * HS;
  const kD = KVH * HS;
  const group = NH / KVH;
  const scale = 1 / Math.sqrt(HS);
  for (let h = 0; h < NH; h++) {
    const kh = Math.floor(h / group);
    const A = att.subarray(h * Tq * Tk, (h + 1) * Tq * Tk);
    // scores = Q_h K_khᵀ   (Tq, Tk)
    matmul(k, { out: A, a: q.subarray(h * HS), b: key.subarray(kh * HS), M: Tq, N: Tk, K: HS, transB: true, lda: qD, ldb: kD });
    for (let t = 0; t < Tq; t++) softmaxCausalRow(A, t * Tk, Math.min(Tk, qOffset + t + 1), Tk, scale);
    // out_h = A V_kh   (Tq, HS)
    matmul(k, { out: out.subarray(h * HS), a: A, b: value.subarray(kh * HS), M: Tq, N: HS, K: Tk, ldb: kD, ldc: qD });
  }
}

/**
 * Decoding attention, inference only (no backward): each sequence's few new query rows
 * against its own KV cache, exactly as attentionForward computes that sequence alone. One
 * call for a whole decoding step lets a kernel set run the sequences in parallel.
 * `forward` computes one sequence (the dispatcher passes the kernel set's own).
 *   q, out (N, NH·HS)   sequence i: rows row … row+Tq−1 (Tq ≤ DECODE_MAX_ROWS), key/value (Tk, KVH·HS)
 */
export function attentionDecode(
  k: Kernels, a: { out: Buf; q: Buf; NH: number; KVH: number; HS: number; seqs: readonly DecodeAttention[] },
  forward: typeof attentionForward = attentionForward,
): void {
  const { NH, KVH, HS } = a;
  const qD = NH * HS;
  const most = a.seqs.reduce((m, s) => Math.max(m, NH * s.Tq * s.Tk), 0);
  const scratch = a.q instanceof Float32Array ? new Float32Array(most) : new Float64Array(most); // att (NH, Tq, Tk), one sequence at a time
  for (const s of a.seqs) {
    const rows = (x: Buf) => x.subarray(s.row * qD, (s.row + s.Tq) * qD);
    const att = scratch.subarray(0, NH * s.Tq * s.Tk);
    forward(k, { Tq: s.Tq, Tk: s.Tk, qOffset: s.Tk - s.Tq, NH, KVH, HS, out: rows(a.out), att, q: rows(a.q), key: s.key, value: s.value });
  }
}

/** Row softmax of scale·x over the first `n` entries; the rest (future keys) set to 0. */
function softmaxCausalRow(x: Buf, o: number, n: number, len: number, scale: number): void {
  let max = -Infinity;
  for (let s = 0; s < n; s++) if (x[o + s] > max) max = x[o + s];
  let sum = 0;
  for (let s = 0; s < n; s++) {
    const e = Math.exp((x[o + s] - max) * scale);
    x[o + s] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let s = 0; s < n; s++) x[o + s] *= inv;
  for (let s = n; s < len; s++) x[o + s] = 0;
}

/**
 * Differentiates `out_h = softmax(scale · Q_h K_khᵀ + mask) V_kh`:
 *   dA   = dout_h V_khᵀ
 *   dV  += Aᵀ dout_h
 *   dS   = scale · A ⊙ (dA − rowsum(A ⊙ dA))
 *   dQ_h = dS K_kh,   dK += dSᵀ Q_h
 * dq is overwritten; dkey, dvalue are added into (several query heads share them).
 * `scratch` holds one (Tq, Tk) block.
 */
export function attentionBackward(k: Kernels, a: AttentionShape & {
  dq: Buf; dkey: Buf; dvalue: Buf; dout: Buf; att: Buf; q: Buf; key: Buf; value: Buf; scratch: Buf;
}): void {
  const { Tq, Tk, qOffset, NH, KVH, HS, dq, dkey, dvalue, dout, att, q, key, value, scratch } = a;
  const qD = NH * HS;
  const kD = KVH * HS;
  const group = NH / KVH;
  const scale = 1 / Math.sqrt(HS);
  const dA = scratch.subarray(0, Tq * Tk);
  for (let h = 0; h < NH; h++) {
    const kh = Math.floor(h / group);
    const A = att.subarray(h * Tq * Tk, (h + 1) * Tq * Tk);
    const doutH = dout.subarray(h * HS);
    matmul(k, { out: dA, a: doutH, b: value.subarray(kh * HS), M: Tq, N: Tk, K: HS, transB: true, lda: qD, ldb: kD });
    matmul(k, { out: dvalue.subarray(kh * HS), a: A, b: doutH, M: Tk, N: HS, K: Tq, transA: true, lda: Tk, ldb: qD, ldc: kD, accumulate: true });
    for (let t = 0; t < Tq; t++) {
      const o = t * Tk;
      const n = Math.min(Tk, qOffset + t + 1);
      let dot = 0;
      for (let s = 0; s < n; s++) dot += A[o + s] * dA[o + s];
      for (let s = 0; s < n; s++) dA[o + s] = scale * A[o + s] * (dA[o + s] - dot);
      for (let s = n; s < Tk; s++) dA[o + s] = 0;
    }
    matmul(k, { out: dq.subarray(h * HS), a: dA, b: key.subarray(kh * HS), M: Tq, N: HS, K: Tk, ldb: kD, ldc: qD });
    matmul(k, { out: dkey.subarray(kh * HS), a: dA, b: q.subarray(h * HS), M: Tk, N: HS, K: Tq, transA: true, lda: Tk, ldb: qD, ldc: kD, accumulate: true });
  }
}
