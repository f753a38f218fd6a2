/**
 * The GGUF LoRA adapter file, read back with our GGUF reader: llama.cpp's metadata keys,
 * tensor names and ggml dimension order (llama-adapter.cpp's checks: base ne[0] = lora_a
 * ne[0], base ne[1] = lora_b ne[1], lora_a ne[1] = lora_b ne[0] = r), lora_b of q/k in
 * llama.cpp's row order and every other factor as stored, and the refusals.
 * (test/backends/llamacpp/lora.test.ts loads it in llama.cpp.)
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CharTokenizer } from "../../src/model/index.js";
import {
  exportGgufLora, formatFormatError, openGguf, permuteQK, saveCheckpoint, writePeftAdapter,
} from "../../src/formats/index.js";
import { errorOf, sameBits, tempDir, unwrap } from "./helpers.js";
import { randomAdapter, tinyBase } from "./lora-fixtures.js";
import { totalParameters } from "../../src/model/index.js";

const dir = await tempDir("gguf-lora");
const baseDir = join(dir, "base");
unwrap(await saveCheckpoint(baseDir, { config: tinyBase, params: new Float32Array(totalParameters(tinyBase)), tokenizer: new CharTokenizer() }));
const adapter = randomAdapter(tinyBase, { seed: 5, r: 2, alpha: 3, targets: ["q_proj", "k_proj", "v_proj", "down_proj"] });
const adapterDir = join(dir, "adapter");
await writePeftAdapter(adapterDir, adapter, { baseModel: baseDir });

describe("export gguf --lora", () => {
  it("writes llama.cpp's adapter metadata, names and dimension order", async () => {
    const out = join(dir, "a.gguf");
    const r = unwrap(await exportGgufLora(adapterDir, out, { dtype: "f32" }));
    expect(r.tensors).toBe(2 * 4 * 2);
    const g = unwrap(await openGguf(out));
    try {
      const str = (k: string) => g.kv.get(k)?.value;
      expect(str("general.architecture")).toBe("llama");
      expect(str("general.type")).toBe("adapter");
      expect(str("adapter.type")).toBe("lora");
      expect(g.kv.get("adapter.lora.alpha")).toEqual({ type: "float32", value: 3 });
      // k_proj of the GQA base: (out 8, in 16); ggml dims are [in, r] and [r, out]
      expect(g.tensor("blk.1.attn_k.weight.lora_a")?.dims).toEqual([16, 2]);
      expect(g.tensor("blk.1.attn_k.weight.lora_b")?.dims).toEqual([2, 8]);
      expect(g.tensor("blk.0.ffn_down.weight.lora_a")?.dims).toEqual([24, 2]);
      expect(g.tensor("blk.0.ffn_down.weight.lora_b")?.dims).toEqual([2, 16]);
      expect(g.tensor("blk.0.ffn_down.weight.lora_b")?.typeName).toBe("F32");
      const read = async (n: string) => unwrap(await g.readTensor(n));
      // lora_b of q and k in llama.cpp's interleaved RoPE rows; A, and B of other modules, as stored
      expect(sameBits(await read("blk.0.attn_q.weight.lora_b"), permuteQK(adapter.layers[0].q_proj!.B, tinyBase.nHeads, 2))).toBe(true);
      expect(sameBits(await read("blk.1.attn_k.weight.lora_b"), permuteQK(adapter.layers[1].k_proj!.B, tinyBase.nKvHeads, 2))).toBe(true);
      expect(sameBits(await read("blk.1.attn_k.weight.lora_b"), adapter.layers[1].k_proj!.B)).toBe(false);
      expect(sameBits(await read("blk.0.attn_q.weight.lora_a"), adapter.layers[0].q_proj!.A)).toBe(true);
      expect(sameBits(await read("blk.1.attn_v.weight.lora_b"), adapter.layers[1].v_proj!.B)).toBe(true);
    } finally {
      await g.close();
    }
  });

  it("f16 factors when asked", async () => {
    const out = join(dir, "a16.gguf");
    unwrap(await exportGgufLora(adapterDir, out, { dtype: "f16", base: baseDir }));
    const g = unwrap(await openGguf(out));
    expect(g.tensor("blk.0.attn_v.weight.lora_a")?.typeName).toBe("F16");
    await g.close();
  });

  it("refuses an adapter whose base cannot be found, saying how to name it", async () => {
    const lost = join(dir, "lost");
    await writePeftAdapter(lost, adapter, { baseModel: join(dir, "no-such-base") });
    const msg = formatFormatError(errorOf(await exportGgufLora(lost, join(dir, "x.gguf"), { dtype: "f32" })));
    expect(msg).toMatch(/adapter_config\.json: the base model ".*no-such-base" is not a model folder here .*Name the base model folder explicitly \(--base DIR\)/);
  });

  it("refuses lora_alpha 0, which llama.cpp would read as scale 1", async () => {
    const zero = join(dir, "zero");
    await writePeftAdapter(zero, { ...adapter, config: { ...adapter.config, alpha: 0 } }, { baseModel: baseDir });
    const msg = formatFormatError(errorOf(await exportGgufLora(zero, join(dir, "z.gguf"), { dtype: "f32" })));
    expect(msg).toMatch(/lora_alpha is 0, which llama\.cpp reads as "no alpha"/);
  });
});
