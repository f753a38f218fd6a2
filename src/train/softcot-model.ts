/**
 * SoftCoT's differentiable core (Xu et al. 2025, "SoftCoT: Soft Chain-of-Thought for
 * Efficient Reasoning with LLMs", arXiv 2502.12134, §3.2–3.3, eq. 1–3):
 *
 *   h_1..h_k  = assistant's last hidden states at k <unk>s after the question   (eq. 1)
 *   t_i       = W h_i + b    (W: C_backbone × C_assistant, the trainable projection) (eq. 2)
 *   answer    ~ backbone(question, t_1..t_k, …)  with the backbone frozen          (eq. 3)
 *
 * "Last hidden states" are the assistant's final-normed states (what its LM head reads).
 * Loss: the backbone's masked mean cross-entropy on the response. Backward: the backbone's
 * backward, frozen (`Llama.frozen`: no weight gradient is computed), gives d loss / d t,
 * then dW = Σ dtᵢ hᵢᵀ, db = Σ dtᵢ, and, when the assistant trains too, d loss / d h
 * through the assistant's backward.
 *
 * The trainable parameters are one flat buffer [W | b | (assistant)], so AdamW, clipping
 * and checkpoints see one vector, as for a plain model.
 */
import { Llama, decayMask, type Tokenizer, type ModelConfig } from "../model/index.js";
import type { Rng } from "../random/index.js";
import type { Buf, Kernels } from "../tensor/index.js";
import type { Frame } from "./data/frame.js";
import { assistantBatch, backboneBatch, type SoftcotExample } from "./softcot-data.js";

export interface Projection<B extends Buf> {
  cIn: number; // assistant width
  cOut: number; // backbone width
  weight: B; // (cOut, cIn)
  bias: B; // (cOut)
  dWeight: B;
  dBias: B;
}

export interface SoftcotParts<B extends Buf> {
  tokenizer: Tokenizer;
  backbone: Llama<B>;
  assistant: Llama<B>;
  projection: Projection<B>;
  /** Soft thoughts per question. */
  k: number;
  /** Backpropagate into the assistant's weights (the paper freezes them). */
  trainAssistant: boolean;
  /** How both models' rows are laid out (softcot-data.ts). */
  frame: Frame;
}

const like = <B extends Buf>(x: B, n: number): B => (x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as B;

/** t = W h + b for each of the `n` rows of h (n, cIn). */
export function project<B extends Buf>(p: Projection<B>, h: B, n: number): B {
  const t = like(p.weight, n * p.cOut);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < p.cOut; o++) {
      let s = p.bias[o];
      const w = o * p.cIn, x = i * p.cIn;
      for (let c = 0; c < p.cIn; c++) s += p.weight[w + c] * h[x + c];
      t[i * p.cOut + o] = s;
    }
  }
  return t;
}

/** Adds dW += Σ dtᵢ hᵢᵀ and db += Σ dtᵢ; returns dh (n, cIn) when asked. */
export function projectBackward<B extends Buf>(p: Projection<B>, h: B, dt: B, n: number, wantDh: boolean): B | null {
  const dh = wantDh ? like(p.weight, n * p.cIn) : null;
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < p.cOut; o++) {
      const g = dt[i * p.cOut + o];
      if (g === 0) continue;
      p.dBias[o] += g;
      const w = o * p.cIn, x = i * p.cIn;
      for (let c = 0; c < p.cIn; c++) p.dWeight[w + c] += g * h[x + c];
      if (dh) for (let c = 0; c < p.cIn; c++) dh[x + c] += g * p.weight[w + c];
    }
  }
  return dh;
}

/** The soft thoughts of a batch of questions: (B·k, C_backbone), with the hidden states they came from. */
export function softThoughts<B extends Buf>(m: SoftcotParts<B>, exs: SoftcotExample[]): { thoughts: B; hidden: B; thoughtRows: Int32Array } {
  const { batch, thoughtRows } = assistantBatch(m.tokenizer, exs, m.k, m.frame);
  m.assistant.forward(batch);
  const all = m.assistant.lastHidden();
  const C = m.projection.cIn;
  const hidden = like(all, thoughtRows.length * C);
  thoughtRows.forEach((r, i) => hidden.set(all.subarray(r * C, (r + 1) * C), i * C));
  return { thoughts: project(m.projection, hidden, thoughtRows.length), hidden, thoughtRows };
}

/**
 * Loss of the backbone on `exs` with their soft thoughts; with `backward`, adds the
 * gradients of the trainable parameters (projection, and the assistant when it trains).
 */
export function softcotLoss<B extends Buf>(m: SoftcotParts<B>, exs: SoftcotExample[], backward: boolean): { loss: number; count: number } {
  const { thoughts, hidden, thoughtRows } = softThoughts(m, exs);
  const dThoughts = like(thoughts, thoughts.length);
  const { batch, softRows } = backboneBatch(m.tokenizer, exs, m.k, m.frame);
  const r = m.backbone.forward({ ...batch, embeds: { rows: softRows, values: thoughts, grad: dThoughts } });
  if (!backward || r.count === 0) return r;
  m.backbone.frozen = true; // d thoughts only: no weight gradient is computed for the backbone
  m.backbone.backward();
  const dh = projectBackward(m.projection, hidden, dThoughts, softRows.length, m.trainAssistant);
  if (dh) {
    const C = m.projection.cIn;
    const dHidden = like(dh, m.assistant.lastHidden().length);
    thoughtRows.forEach((row, i) => dHidden.set(dh.subarray(i * C, (i + 1) * C), row * C));
    m.assistant.backwardFromHidden(dHidden);
  }
  return r;
}

/** A float32 SoftCoT model with its trainable parameters in one flat buffer. */
export interface SoftcotModel extends SoftcotParts<Float32Array> {
  /** [W | b | pad to 16 | assistant's parameters when it trains] */
  params: Float32Array;
  grads: Float32Array;
  /** AdamW's weight-decay mask over `params`: W and the assistant's matrices. */
  decay: Uint8Array;
}

const ALIGN = 16; // floats: the assistant's views stay 64-byte aligned for the SIMD kernels

/** Backbone and assistant from their configs and weights; the projection is zero until `initProjection`. */
export function createSoftcot(a: {
  kernels: Kernels; tokenizer: Tokenizer; k: number; trainAssistant: boolean; frame: Frame;
  backbone: { config: ModelConfig; params: Float32Array }; assistant: { config: ModelConfig; params: Float32Array };
}): SoftcotModel {
  const backbone = Llama.f32(a.backbone.config, a.kernels);
  backbone.params.flat.set(a.backbone.params);
  const cIn = a.assistant.config.dim, cOut = a.backbone.config.dim;
  const projN = Math.ceil((cOut * cIn + cOut) / ALIGN) * ALIGN;
  const assistantN = a.trainAssistant ? a.assistant.params.length : 0;
  const params = a.kernels.alloc(projN + assistantN);
  const grads = a.kernels.alloc(projN + assistantN);
  let assistant: Llama<Float32Array>;
  if (a.trainAssistant) {
    // the assistant's parameters and gradients are views into the trainable buffers
    const pools = [params, grads];
    assistant = new Llama<Float32Array>(a.assistant.config, a.kernels, (n) => {
      const pool = pools.shift();
      if (!pool) return a.kernels.alloc(n);
      return pool.subarray(projN, projN + n);
    });
  } else assistant = Llama.f32(a.assistant.config, a.kernels);
  assistant.params.flat.set(a.assistant.params);
  const projection: Projection<Float32Array> = {
    cIn, cOut,
    weight: params.subarray(0, cOut * cIn), bias: params.subarray(cOut * cIn, cOut * cIn + cOut),
    dWeight: grads.subarray(0, cOut * cIn), dBias: grads.subarray(cOut * cIn, cOut * cIn + cOut),
  };
  const decay = new Uint8Array(params.length);
  decay.fill(1, 0, cOut * cIn);
  if (a.trainAssistant) decay.set(decayMask(a.assistant.config), projN);
  return { tokenizer: a.tokenizer, backbone, assistant, projection, k: a.k, trainAssistant: a.trainAssistant, frame: a.frame, params, grads, decay };
}

/**
 * W ~ N(0, σ²), b = 0, with σ = rms(backbone's token embeddings) / (√C_assistant · rms(assistant's
 * final-norm gains)): a fresh thought then has about the scale of a token embedding.
 */
export function initProjection<B extends Buf>(m: SoftcotParts<B>, rng: Rng): void {
  const rms = (x: Buf) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return Math.sqrt(s / x.length);
  };
  const sigma = rms(m.backbone.params.embed) / (Math.sqrt(m.projection.cIn) * Math.max(rms(m.assistant.params.finalNorm), 1e-6));
  for (let i = 0; i < m.projection.weight.length; i++) m.projection.weight[i] = rng.normal() * sigma;
  m.projection.bias.fill(0);
}
