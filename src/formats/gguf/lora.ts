/**
 * A LoRA adapter as a llama.cpp GGUF adapter (llama.cpp's convert_lora_to_gguf.py and
 * src/llama-adapter.cpp, the format node-llama-cpp's `createContext({ lora })` loads):
 *
 * - metadata: `general.architecture` "llama" (must equal the base's), `general.type`
 *   "adapter", `adapter.type` "lora", `adapter.lora.alpha` (float32). llama.cpp scales each
 *   product by user_scale · alpha / rank, with rank = lora_b's ggml ne[0] = r (PEFT's
 *   alpha / r). NOTE: it reads alpha 0 as "no alpha" (scale = user_scale), so alpha 0 is refused.
 * - tensors: `blk.N.attn_q.weight.lora_a` / `.lora_b` (the base tensor's llama.cpp name +
 *   suffix). lora_a is A (r, in) and lora_b is B (out, r) in torch order, i.e. ggml
 *   ne = [in, r] and [r, out]: llama-adapter.cpp checks base ne[0] == a ne[0], base ne[1]
 *   == b ne[1] and a ne[1] == b ne[0].
 * - RoPE layout: the base export permutes q_proj / k_proj rows into llama.cpp's interleaved
 *   order (llama.ts, permuteQK); Δ = B A has the rows of B, so lora_b of q_proj and k_proj
 *   gets the same row permutation (the converter applies LlamaModel.permute to the LoRA
 *   tensor, which reshapes B only).
 */
import { basename } from "node:path";
import { LORA_MODULES, type LoraAdapter, type ModelConfig } from "../../model/index.js";
import { ioError } from "../io.js";
import { findAdapterBase, resolveAdapterDir } from "../peft/base.js";
import { baseWeightName } from "../peft/layout.js";
import { readPeftAdapter } from "../peft/read.js";
import { fail, ok, type Result } from "../result.js";
import { llamaCppTensorName, permuteQK, type GgufDType } from "./llama.js";
import type { GgufValue } from "./types.js";
import { writeGguf, type GgufTensorToWrite } from "./writer.js";

/** Metadata and tensors of the GGUF LoRA adapter for `adapter` on a base with config `base` (no I/O). */
export function loraGgufContent(
  adapter: LoraAdapter,
  base: ModelConfig,
  opts: { dtype: GgufDType; name: string },
): { kv: [string, GgufValue][]; tensors: GgufTensorToWrite[] } {
  const { r, alpha } = adapter.config;
  if (alpha === 0) throw new Error("loraGgufContent: lora_alpha 0 would be read by llama.cpp as scale 1");
  if (opts.dtype !== "f32" && opts.dtype !== "f16") throw new Error(`loraGgufContent: dtype ${opts.dtype}: a LoRA adapter is written as f32 or f16`);
  const kv: [string, GgufValue][] = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.type", { type: "string", value: "adapter" }],
    ["general.name", { type: "string", value: opts.name }],
    ["adapter.type", { type: "string", value: "lora" }],
    ["adapter.lora.alpha", { type: "float32", value: alpha }],
  ];
  const type = opts.dtype === "f16" ? "F16" : "F32";
  const tensors: GgufTensorToWrite[] = [];
  adapter.layers.forEach((layer, l) => {
    for (const m of LORA_MODULES) {
      const pair = layer[m];
      if (!pair) continue;
      const name = llamaCppTensorName(baseWeightName(l, m));
      let B = pair.B;
      if (m === "q_proj") B = permuteQK(B, base.nHeads, r);
      if (m === "k_proj") B = permuteQK(B, base.nKvHeads, r);
      tensors.push({ name: `${name}.lora_a`, shape: [r, pair.A.length / r], data: pair.A, type });
      tensors.push({ name: `${name}.lora_b`, shape: [B.length / r, r], data: B, type });
    }
  });
  return { kv, tensors };
}

/**
 * `ftledger export gguf --lora ADAPTER_DIR OUT.gguf`: a PEFT adapter folder (or a lab LoRA
 * run: its newest adapter, resolveAdapterDir) → GGUF LoRA adapter. The base's config.json (from `base`, else the adapter's base_model_name_or_path)
 * gives the shapes to check and the head counts of the q/k permutation.
 */
export async function exportGgufLora(
  adapterDir: string,
  outPath: string,
  opts: { dtype: GgufDType; base?: string; name?: string },
): Promise<Result<{ path: string; tensors: number; base: string }>> {
  adapterDir = await resolveAdapterDir(adapterDir);
  const base = await findAdapterBase(adapterDir, opts.base);
  if (!base.ok) return base;
  const adapter = await readPeftAdapter(adapterDir, base.value.config);
  if (!adapter.ok) return adapter;
  if (adapter.value.config.alpha === 0) {
    return fail({
      code: "bad_adapter", file: adapterDir, message: "lora_alpha is 0, which llama.cpp reads as \"no alpha\" (scale 1, not 0)",
      fix: "Use the base model alone, or re-save the adapter with a non-zero lora_alpha",
    });
  }
  const content = loraGgufContent(adapter.value, base.value.config, { dtype: opts.dtype, name: opts.name ?? basename(adapterDir) });
  try {
    await writeGguf(outPath, content);
  } catch (e) {
    return fail(ioError(outPath, e));
  }
  return ok({ path: outPath, tensors: content.tensors.length, base: base.value.dir });
}
