/**
 * The training backward pass, layer by layer in reverse, each step differentiating
 * the forward line it names. Parameter gradients are added into `g` (zero them
 * first with `zeroGrad`); activation gradients live in `s` (scratch).
 *
 * With a LoRA adapter in training (`adapter.lora`, `adapter.normSink` given) the base is
 * frozen: each linear layer computes only dx (no dW product), the adapter adds its dA, dB
 * and its share of dx right after its layer's dx, the norm gains' gradients go to
 * `normSink` (thrown away), and the embedding's scatter is skipped.
 */
import type { Buf, Kernels } from "../tensor/index.js";
import type { Activations, GradScratch } from "./activations.js";
import { modelDims, type ModelConfig } from "./config.js";
import type { InputEmbeds, TrainBatch } from "./forward.js";
import { linearBackward, matmul, type RopeTable } from "./ops/index.js";
import { run } from "./ops/dispatch.js";
import type { ParamViews } from "./parameters.js";
import type { LoraPass } from "./lora-runtime.js";

export function trainBackward<B extends Buf>(
  k: Kernels, c: ModelConfig, p: ParamViews<B>, g: ParamViews<B>, acts: Activations<B>, s: GradScratch<B>,
  rope: RopeTable, batch: TrainBatch, positions: Int32Array, count: number,
  /** Start from d loss / d lnf (B·T, C) instead of the cross-entropy (a model whose hidden states feed another). */
  dHidden?: B,
  /** An attached LoRA adapter's pass; with `normSink` the base is frozen (see above). */
  adapter: { lora: LoraPass | null; normSink: B | null } = { lora: null, normSink: null },
): void {
  const { B, T } = batch;
  const N = B * T;
  const { C, HS, NH, KVH, qD, kD, F, V } = modelDims(c);
  const { lora, normSink } = adapter;
  const frozen = normSink !== null;
  type LinearArgs = Parameters<typeof linearBackward>[1];
  // a frozen base's linear layer: dx only
  const linear = frozen
    ? (a: LinearArgs) => matmul(k, { out: a.dinp, a: a.dout, b: a.weight, M: a.N, N: a.IN, K: a.OUT, accumulate: a.accumulateInput })
    : (a: LinearArgs) => linearBackward(k, a);
  const normGrad = (gain: B): B => normSink ?? gain;

  // loss = masked mean CE(logits)  →  dlogits, in place over probs
  if (!dHidden) run.crossEntropyBackward(k, { probs: acts.probs, targets: batch.targets, mask: batch.mask, count, N, V });
  // logits = lnf · lm_headᵀ
  if (!dHidden) linear({ dinp: s.dln, dweight: g.lmHead, dout: acts.probs, inp: acts.lnf, weight: p.lmHead, N, IN: C, OUT: V, accumulateInput: false });
  else s.dln.set(dHidden);
  // lnf = rmsnorm(residOut)
  s.dres.fill(0);
  run.rmsnormBackward(k, { dinp: s.dres, dweight: normGrad(g.finalNorm), dout: s.dln, inp: acts.residOut, weight: p.finalNorm, rstd: acts.rstdf, N, C });

  for (let l = c.nLayers - 1; l >= 0; l--) {
    const a = acts.layers[l];
    const w = p.layers[l];
    const gw = g.layers[l];
    // next = resid2 + h · downᵀ   (dres is d next; the residual passes it to resid2 unchanged)
    linear({ dinp: s.dh, dweight: gw.wDown, dout: s.dres, inp: a.h, weight: w.wDown, N, IN: F, OUT: C, accumulateInput: false });
    lora?.backward(l, "down_proj", a.h, s.dres, s.dh);
    // h = silu(gate) ⊙ up   (dgate, dup written, not added into: nothing else feeds them)
    run.swigluBackward(k, { dgate: s.dgate, dup: s.dup, dout: s.dh, gate: a.gate, up: a.up, n: N * F, accumulate: false });
    // gate = ln2 · gateᵀ,  up = ln2 · upᵀ
    linear({ dinp: s.dln, dweight: gw.wGate, dout: s.dgate, inp: a.ln2, weight: w.wGate, N, IN: C, OUT: F, accumulateInput: false });
    linear({ dinp: s.dln, dweight: gw.wUp, dout: s.dup, inp: a.ln2, weight: w.wUp, N, IN: C, OUT: F, accumulateInput: true });
    if (lora) {
      lora.backward(l, "gate_proj", a.ln2, s.dgate, s.dln);
      lora.backward(l, "up_proj", a.ln2, s.dup, s.dln);
    }
    // ln2 = rmsnorm(resid2)  → dres becomes d resid2
    run.rmsnormBackward(k, { dinp: s.dres, dweight: normGrad(gw.postNorm), dout: s.dln, inp: a.resid2, weight: w.postNorm, rstd: a.rstd2, N, C });
    // resid2 = resid + y · oᵀ
    linear({ dinp: s.dy, dweight: gw.wo, dout: s.dres, inp: a.y, weight: w.wo, N, IN: qD, OUT: C, accumulateInput: false });
    lora?.backward(l, "o_proj", a.y, s.dres, s.dy);
    // y = attention(q, k, v), per sequence
    s.dk.fill(0);
    s.dv.fill(0);
    for (let b = 0; b < B; b++) {
      run.attentionBackward(k, {
        Tq: T, Tk: T, qOffset: 0, NH, KVH, HS,
        dq: s.dq.subarray(b * T * qD, (b + 1) * T * qD),
        dkey: s.dk.subarray(b * T * kD, (b + 1) * T * kD),
        dvalue: s.dv.subarray(b * T * kD, (b + 1) * T * kD),
        dout: s.dy.subarray(b * T * qD, (b + 1) * T * qD),
        att: a.att.subarray(b * NH * T * T, (b + 1) * NH * T * T),
        q: a.q.subarray(b * T * qD, (b + 1) * T * qD),
        key: a.k.subarray(b * T * kD, (b + 1) * T * kD),
        value: a.v.subarray(b * T * kD, (b + 1) * T * kD),
        scratch: s.datt,
      });
    }
    // q = rope(ln1 · qᵀ), k = rope(ln1 · kᵀ)
    run.ropeBackward(k, { dx: s.dq, positions, H: NH, HS, table: rope });
    run.ropeBackward(k, { dx: s.dk, positions, H: KVH, HS, table: rope });
    linear({ dinp: s.dln, dweight: gw.wq, dout: s.dq, inp: a.ln1, weight: w.wq, N, IN: C, OUT: qD, accumulateInput: false });
    linear({ dinp: s.dln, dweight: gw.wk, dout: s.dk, inp: a.ln1, weight: w.wk, N, IN: C, OUT: kD, accumulateInput: true });
    linear({ dinp: s.dln, dweight: gw.wv, dout: s.dv, inp: a.ln1, weight: w.wv, N, IN: C, OUT: kD, accumulateInput: true });
    if (lora) {
      lora.backward(l, "q_proj", a.ln1, s.dq, s.dln);
      lora.backward(l, "k_proj", a.ln1, s.dk, s.dln);
      lora.backward(l, "v_proj", a.ln1, s.dv, s.dln);
    }
    // ln1 = rmsnorm(resid)  → dres becomes d resid (the layer's input)
    run.rmsnormBackward(k, { dinp: s.dres, dweight: normGrad(gw.inputNorm), dout: s.dln, inp: a.resid, weight: w.inputNorm, rstd: a.rstd1, N, C });
  }
  // resid₀ = embed[tokens], except soft-token rows: their gradient goes to the caller, not the table
  if (batch.embeds) takeInputEmbedGrads(s.dres, batch.embeds, C);
  // resid₀ = embed[tokens]
  if (!frozen) run.embeddingBackward(k, { dwte: g.embed, dout: s.dres, tokens: batch.tokens, C });
}

/** d loss / d (soft-token rows) out of dres (N, C) into `e.grad`; those rows are then zeroed. */
function takeInputEmbedGrads(dres: Buf, e: InputEmbeds, C: number): void {
  for (let i = 0; i < e.rows.length; i++) {
    const row = dres.subarray(e.rows[i] * C, (e.rows[i] + 1) * C);
    e.grad?.set(row, i * C);
    row.fill(0);
  }
}
