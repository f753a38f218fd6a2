/**
 * Engine checkpoint → GGUF for llama.cpp's `llama` architecture, following
 * llama.cpp's convert_hf_to_gguf.py (`LlamaModel`):
 *
 * 1. Metadata: `llama.*` hyperparameters, `tokenizer.ggml.*` (./vocab.ts).
 * 2. Names: HF → llama.cpp (`model.layers.N.self_attn.q_proj.weight` → `blk.N.attn_q.weight`, …).
 * 3. RoPE layout. NOTE: HF llama rotates the pairs (i, i + HS/2) ("rotate_half"); llama.cpp's
 *    llama arch rotates adjacent pairs (2i, 2i + 1). The converter therefore permutes the rows
 *    of q_proj and k_proj within each head: `w.reshape(n_head, 2, HS/2, dim).swapaxes(1, 2)`
 *    (k with n_kv_heads). Row h·HS + s·HS/2 + i moves to h·HS + 2i + s.
 * 4. dtype: f32, or f16 for matrices with 1-D norm gains kept f32 (as the converter does).
 */
import { basename } from "node:path";
import { headDim, parameterTable, numel, type Tokenizer, type ModelConfig } from "../../model/index.js";
import { loadCheckpoint } from "../checkpoint.js";
import { CHAT_TEMPLATE } from "../hf/tokenizer.js";
import { ioError } from "../io.js";
import { fail, ok, type Result } from "../result.js";
import type { GgufValue } from "./types.js";
import { ggufMerges, ggufVocab } from "./vocab.js";
import { quantizable } from "./quant.js";
import { writeGguf, type GgufTensorToWrite, type GgufTensorType } from "./writer.js";

/** f32 / f16 floats, or ggml's Q8_0 / Q4_0 blocks for the matrices (./quant.ts); norms stay f32. */
export type GgufDType = "f32" | "f16" | "q8_0" | "q4_0";
export const GGUF_DTYPES: readonly GgufDType[] = ["f32", "f16", "q8_0", "q4_0"];

/** llama.cpp's `general.file_type` (enum llama_ftype): ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0. */
const FILE_TYPES: Record<GgufDType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };

/** How a tensor of this shape is stored under `dtype`: matrices take it, 1-D tensors stay f32. */
function tensorType(dtype: GgufDType, shape: readonly number[]): GgufTensorType {
  if (shape.length < 2 || dtype === "f32") return "F32";
  if (dtype === "f16") return "F16";
  // a row that is not a whole number of 32-value blocks cannot be quantised: f16 keeps it small
  return quantizable(shape) ? (dtype === "q8_0" ? "Q8_0" : "Q4_0") : "F16";
}

/** HF tensor name → llama.cpp tensor name (convert_hf_to_gguf.py / gguf-py tensor_mapping.py). */
export function llamaCppTensorName(hf: string): string {
  const fixed: Record<string, string> = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
  };
  if (fixed[hf]) return fixed[hf];
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  const layer: Record<string, string> = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
  };
  if (!m || !layer[m[2]]) throw new Error(`no llama.cpp name for tensor "${hf}"`);
  return `blk.${m[1]}.${layer[m[2]]}`;
}

/** HF rotate_half row order → llama.cpp interleaved row order (for q: nHeads, for k: nKvHeads). */
export function permuteQK(w: Float32Array, nHeads: number, cols: number): Float32Array {
  return reorderRows(w, nHeads, cols, false);
}

/** The inverse of `permuteQK`. */
export function unpermuteQK(w: Float32Array, nHeads: number, cols: number): Float32Array {
  return reorderRows(w, nHeads, cols, true);
}

function reorderRows(w: Float32Array, nHeads: number, cols: number, inverse: boolean): Float32Array {
  const rows = w.length / cols;
  const HS = rows / nHeads;
  if (!Number.isInteger(rows) || !Number.isInteger(HS) || HS % 2 !== 0) throw new Error(`permuteQK: ${rows} rows do not split into ${nHeads} heads of even size`);
  const half = HS / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < half; i++) {
        const hfRow = h * HS + s * half + i;
        const cppRow = h * HS + 2 * i + s;
        const [from, to] = inverse ? [cppRow, hfRow] : [hfRow, cppRow];
        out.set(w.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

/** Metadata and tensors of the GGUF file for a model (no I/O). */
export function llamaGgufContent(
  model: { config: ModelConfig; params: Float32Array; tokenizer: Tokenizer },
  opts: { dtype: GgufDType; name: string },
): { kv: [string, GgufValue][]; tensors: GgufTensorToWrite[] } {
  const { config: c, params, tokenizer: tok } = model;
  const u32 = (value: number): GgufValue => ({ type: "uint32", value });
  const f32 = (value: number): GgufValue => ({ type: "float32", value });
  const str = (value: string): GgufValue => ({ type: "string", value });
  const vocab = ggufVocab(tok, c.vocabSize);
  const merges = ggufMerges(tok);
  const kv: [string, GgufValue][] = [
    ["general.architecture", str("llama")],
    ["general.name", str(opts.name)],
    ["general.file_type", u32(FILE_TYPES[opts.dtype])],
    ["llama.context_length", u32(c.contextLength)],
    ["llama.embedding_length", u32(c.dim)],
    ["llama.block_count", u32(c.nLayers)],
    ["llama.feed_forward_length", u32(c.ffnDim)],
    ["llama.attention.head_count", u32(c.nHeads)],
    ["llama.attention.head_count_kv", u32(c.nKvHeads)],
    ["llama.rope.freq_base", f32(c.ropeTheta)],
    ["llama.attention.layer_norm_rms_epsilon", f32(c.normEps)],
    ["llama.rope.dimension_count", u32(headDim(c))],
    ["llama.vocab_size", u32(c.vocabSize)],
    ["tokenizer.ggml.model", str("gpt2")],
    ["tokenizer.ggml.pre", str(merges.pre)],
    ["tokenizer.ggml.tokens", { type: "array", itemType: "string", value: vocab.tokens }],
    ["tokenizer.ggml.token_type", { type: "array", itemType: "int32", value: vocab.tokenTypes }],
    ["tokenizer.ggml.merges", { type: "array", itemType: "string", value: merges.merges }],
    ["tokenizer.ggml.bos_token_id", u32(tok.bos)],
    ["tokenizer.ggml.eos_token_id", u32(tok.eos)],
    ["tokenizer.ggml.eot_token_id", u32(tok.idOf("<|end|>"))],
    ["tokenizer.ggml.unknown_token_id", u32(tok.unk)],
    ["tokenizer.ggml.padding_token_id", u32(tok.pad)],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: false }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ["tokenizer.chat_template", str(CHAT_TEMPLATE)],
  ];
  const tensors: GgufTensorToWrite[] = [];
  let off = 0;
  for (const spec of parameterTable(c)) {
    const n = numel(spec.shape);
    let data = params.subarray(off, off + n);
    off += n;
    if (spec.name.endsWith("q_proj.weight")) data = permuteQK(data, c.nHeads, c.dim);
    if (spec.name.endsWith("k_proj.weight")) data = permuteQK(data, c.nKvHeads, c.dim);
    tensors.push({ name: llamaCppTensorName(spec.name), shape: spec.shape, data, type: tensorType(opts.dtype, spec.shape) });
  }
  return { kv, tensors };
}

/** `ftledger export gguf CKPT OUT.gguf`: read an engine checkpoint folder, write GGUF. */
export async function exportGguf(
  ckptDir: string,
  outPath: string,
  opts: { dtype: GgufDType; name?: string },
): Promise<Result<{ path: string; tensors: number }>> {
  const ckpt = await loadCheckpoint(ckptDir);
  if (!ckpt.ok) return ckpt;
  const content = llamaGgufContent(ckpt.value, { dtype: opts.dtype, name: opts.name ?? basename(ckptDir) });
  try {
    await writeGguf(outPath, content);
  } catch (e) {
    return fail(ioError(outPath, e));
  }
  return ok({ path: outPath, tensors: content.tensors.length });
}
