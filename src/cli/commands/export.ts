/** `ftledger export gguf CKPT OUT.gguf`: an engine checkpoint as a GGUF file for llama.cpp. */
import { exportGguf, formatFormatError } from "../../formats/index.js";

export async function exportGgufCommand(ckpt: string, outPath: string, o: { dtype: string }): Promise<number> {
  if (o.dtype !== "f32" && o.dtype !== "f16") {
    process.stderr.write(`ftledger: --dtype must be f32 or f16, got "${o.dtype}"\n`);
    return 2;
  }
  const r = await exportGguf(ckpt, outPath, { dtype: o.dtype });
  if (!r.ok) {
    process.stderr.write(`ftledger: ${formatFormatError(r.error)}\n`);
    return 2;
  }
  process.stdout.write(`wrote ${r.value.path} (${r.value.tensors} tensors, ${o.dtype})\n`);
  return 0;
}
