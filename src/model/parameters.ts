/**
 * Parameters live in one flat buffer with a named view per tensor, in the order of
 * one size table (llm.c style). Names are the Hugging Face `LlamaForCausalLM` names,
 * so a checkpoint is this table written to safetensors.
 *
 * Shapes follow torch.nn.Linear: weight is (out_features, in_features), y = x Wᵀ.
 */
import type { Buf } from "../tensor/index.js";
import { headDim, type ModelConfig } from "./config.js";

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Weight decay applies to matrices, not to norm gains. */
  decay: boolean;
}

/** The size table: every parameter tensor in storage order. */
export function parameterTable(c: ModelConfig): ParamSpec[] {
  const C = c.dim;
  const HS = headDim(c);
  const qDim = c.nHeads * HS;
  const kvDim = c.nKvHeads * HS;
  const t: ParamSpec[] = [{ name: "model.embed_tokens.weight", shape: [c.vocabSize, C], decay: true }];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `model.layers.${l}.`;
    t.push(
      { name: p + "input_layernorm.weight", shape: [C], decay: false },
      { name: p + "self_attn.q_proj.weight", shape: [qDim, C], decay: true },
      { name: p + "self_attn.k_proj.weight", shape: [kvDim, C], decay: true },
      { name: p + "self_attn.v_proj.weight", shape: [kvDim, C], decay: true },
      { name: p + "self_attn.o_proj.weight", shape: [C, qDim], decay: true },
      { name: p + "post_attention_layernorm.weight", shape: [C], decay: false },
      { name: p + "mlp.gate_proj.weight", shape: [c.ffnDim, C], decay: true },
      { name: p + "mlp.up_proj.weight", shape: [c.ffnDim, C], decay: true },
      { name: p + "mlp.down_proj.weight", shape: [C, c.ffnDim], decay: true },
    );
  }
  t.push({ name: "model.norm.weight", shape: [C], decay: false });
  if (!c.tiedEmbeddings) t.push({ name: "lm_head.weight", shape: [c.vocabSize, C], decay: true });
  return t;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface LayerParams<B extends Buf> {
  inputNorm: B; // (C)
  wq: B; // (NH·HS, C)
  wk: B; // (KVH·HS, C)
  wv: B; // (KVH·HS, C)
  wo: B; // (C, NH·HS)
  postNorm: B; // (C)
  wGate: B; // (F, C)
  wUp: B; // (F, C)
  wDown: B; // (C, F)
}

/** Named views into one flat buffer (used for parameters and for their gradients). */
export interface ParamViews<B extends Buf> {
  flat: B;
  embed: B; // (V, C)
  layers: LayerParams<B>[];
  finalNorm: B; // (C)
  lmHead: B; // (V, C); the same view as `embed` when embeddings are tied
  byName: Map<string, B>;
}

export function totalParameters(c: ModelConfig): number {
  return parameterTable(c).reduce((s, p) => s + numel(p.shape), 0);
}

/** Cut named views out of `flat` following the size table. */
export function viewParameters<B extends Buf>(c: ModelConfig, flat: B): ParamViews<B> {
  const byName = new Map<string, B>();
  let off = 0;
  for (const p of parameterTable(c)) {
    const n = numel(p.shape);
    byName.set(p.name, flat.subarray(off, off + n) as B);
    off += n;
  }
  if (off !== flat.length) throw new Error(`parameter buffer has ${flat.length} values, the size table needs ${off}`);
  const get = (name: string): B => byName.get(name)!;
  const layers: LayerParams<B>[] = [];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `model.layers.${l}.`;
    layers.push({
      inputNorm: get(p + "input_layernorm.weight"),
      wq: get(p + "self_attn.q_proj.weight"),
      wk: get(p + "self_attn.k_proj.weight"),
      wv: get(p + "self_attn.v_proj.weight"),
      wo: get(p + "self_attn.o_proj.weight"),
      postNorm: get(p + "post_attention_layernorm.weight"),
      wGate: get(p + "mlp.gate_proj.weight"),
      wUp: get(p + "mlp.up_proj.weight"),
      wDown: get(p + "mlp.down_proj.weight"),
    });
  }
  const embed = get("model.embed_tokens.weight");
  return {
    flat,
    embed,
    layers,
    finalNorm: get("model.norm.weight"),
    lmHead: c.tiedEmbeddings ? embed : get("lm_head.weight"),
    byName,
  };
}

/** 1 where weight decay applies, per element of the flat buffer. */
export function decayMask(c: ModelConfig): Uint8Array {
  const mask = new Uint8Array(totalParameters(c));
  let off = 0;
  for (const p of parameterTable(c)) {
    const n = numel(p.shape);
    if (p.decay) mask.fill(1, off, off + n);
    off += n;
  }
  return mask;
}
