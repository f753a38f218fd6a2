/**
 * `ftledger export gguf CKPT OUT.gguf`: an engine checkpoint as a GGUF file for llama.cpp;
 * `ftledger export gguf --lora ADAPTER_DIR OUT.gguf`: a PEFT LoRA adapter as a llama.cpp
 * GGUF LoRA adapter (for `--lora` in llama.cpp, or a `gguf:BASE.gguf+lora:ADAPTER.gguf` spec).
 */
import { exportGguf, exportGgufLora, formatFormatError, GGUF_DTYPES, type GgufDType } from "../../formats/index.js";

export interface ExportGgufFlags {
  dtype: string;
  /** The input is a PEFT adapter folder, not a checkpoint. */
  lora?: boolean;
  /** The adapter's base model folder (default: the adapter's base_model_name_or_path). */
  base?: string;
}

export async function exportGgufCommand(input: string, outPath: string, o: ExportGgufFlags): Promise<number> {
  // an adapter's factors are small and llama.cpp applies them in float: no block formats there
  const allowed: readonly string[] = o.lora ? ["f32", "f16"] : GGUF_DTYPES;
  if (!allowed.includes(o.dtype)) {
    process.stderr.write(`ftledger: --dtype must be ${allowed.join(", ")}${o.lora ? " for a LoRA adapter" : ""}, got "${o.dtype}"\n`);
    return 2;
  }
  const dtype = o.dtype as GgufDType;
  if (o.base !== undefined && !o.lora) {
    process.stderr.write("ftledger: --base goes with --lora (the base model of the adapter); a checkpoint is exported on its own\n");
    return 2;
  }
  if (o.lora) {
    const r = await exportGgufLora(input, outPath, { dtype, ...(o.base !== undefined ? { base: o.base } : {}) });
    if (!r.ok) {
      process.stderr.write(`ftledger: ${formatFormatError(r.error)}\n`);
      return 2;
    }
    process.stdout.write(`wrote ${r.value.path} (LoRA adapter, ${r.value.tensors} tensors, ${o.dtype}; base ${r.value.base})\n`);
    return 0;
  }
  const r = await exportGguf(input, outPath, { dtype });
  if (!r.ok) {
    process.stderr.write(`ftledger: ${formatFormatError(r.error)}\n`);
    return 2;
  }
  process.stdout.write(`wrote ${r.value.path} (${r.value.tensors} tensors, ${o.dtype})\n`);
  return 0;
}
