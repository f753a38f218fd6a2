/**
 * Quantised GGUF exports (Q8_0, Q4_0) as llama.cpp reads them. The reference is llama.cpp
 * itself: if the blocks were laid out differently from ggml's (scale, nibble order, sign
 * of Q4_0's scale), llama.cpp would decode other weights and its log-probs would land far
 * from an engine run on our own dequantised weights. They must land close to those — much
 * closer than to the f32 weights the file came from.
 * NOTE: llama.cpp's CPU matmul also rounds the activations to 8-bit blocks for these
 * types, so the agreement is not 1e-4 as for f32 files; the bound below is stated for that.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Llama, parameterTable, numel, scoreContinuations } from "../../../src/model/index.js";
import { exportGguf, loadCheckpoint, openGguf, ZOO_DIR } from "../../../src/formats/index.js";
import { dequantize, quantize, type QuantType } from "../../../src/formats/gguf/quant.js";
import { openGgufModel } from "../../../src/backends/llamacpp/index.js";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { createTsKernels } from "../../../src/tensor/index.js";
import { tempDir, unwrap } from "../../formats/helpers.js";
import { tok } from "./helpers.js";

const dir = await tempDir("llamacpp-quant");
// a trained model (zoo/base-s: rows of 96 and 256, whole 32-value blocks): its distributions are
// those a user quantises, where a random one is peaked enough to magnify rounding
const ZOO = join(ZOO_DIR, "base-s");
const ckpt = unwrap(await loadCheckpoint(ZOO));
const engine = Llama.f32(ckpt.config, createTsKernels());
engine.params.flat.set(ckpt.params);
const models: Partial<Record<QuantType, LanguageModel>> = {};

/** The engine with every matrix replaced by what its blocks decode to. */
function dequantisedEngine(type: QuantType): Llama<Float32Array> {
  const m = Llama.f32(engine.config, createTsKernels());
  m.params.flat.set(engine.params.flat);
  let off = 0;
  for (const spec of parameterTable(engine.config)) {
    const n = numel(spec.shape);
    if (spec.shape.length > 1) {
      const w = m.params.flat.subarray(off, off + n);
      dequantize(quantize(w, type), type, w);
    }
    off += n;
  }
  return m;
}

// prompts end in no space (a trailing space would move into the continuation: backends/boundary.ts)
const requests = [["The cat", " sat on the mat"], ["2+2", "=4, and 3*3=9"], ["Hello", ", world!"], ["abc", "abcabcabc"]].map(([prompt, continuation]) => ({ prompt, continuation }));

/** Mean |Δ log p| per continuation token. */
async function meanDiff(lm: LanguageModel, ref: Llama<Float32Array>): Promise<number> {
  let sum = 0;
  let n = 0;
  for (const req of requests) {
    const got = await lm.score(req);
    const [want] = scoreContinuations(ref, [{ prompt: tok.encode(req.prompt), continuation: tok.encode(req.continuation) }]);
    got.tokens.forEach((t, i) => {
      sum += Math.abs(t.logprob - want.logprobs[i]);
      n++;
    });
    expect(got.tokens.length).toBe(want.logprobs.length);
  }
  return sum / n;
}

beforeAll(async () => {
  for (const type of ["Q8_0", "Q4_0"] as const) {
    const out = join(dir, `m-${type}.gguf`);
    unwrap(await exportGguf(ZOO, out, { dtype: type === "Q8_0" ? "q8_0" : "q4_0" }));
    models[type] = await openGgufModel(out, { contextSize: 256, parallel: 1 });
  }
});
afterAll(async () => {
  for (const m of Object.values(models)) await m?.close();
});

describe("quantised GGUF export", () => {
  it("stores the matrices in blocks and the norms in f32, with the file type llama.cpp names", async () => {
    const file = unwrap(await openGguf(join(dir, "m-Q4_0.gguf")));
    const types = new Map(file.tensors.map((t) => [t.name, t.typeName]));
    // every tensor's byte size follows its type's block layout, and the sizes tile the data section
    for (const t of file.tensors) expect(t.bytes).toBe(t.typeName === "F32" ? t.shape.reduce((a, b) => a * b, 1) * 4 : (t.shape.reduce((a, b) => a * b, 1) / 32) * 18);
    expect(types.get("blk.0.attn_q.weight")).toBe("Q4_0");
    expect(types.get("blk.1.ffn_down.weight")).toBe("Q4_0");
    expect(types.get("token_embd.weight")).toBe("Q4_0");
    expect(types.get("blk.0.attn_norm.weight")).toBe("F32");
    expect(file.kv.get("general.file_type")).toMatchObject({ value: 2 }); // LLAMA_FTYPE_MOSTLY_Q4_0
    await file.close();
  });

  for (const type of ["Q8_0", "Q4_0"] as const) {
    it(`${type}: llama.cpp computes with the weights our blocks decode to`, async () => {
      const decoded = await meanDiff(models[type]!, dequantisedEngine(type));
      const original = await meanDiff(models[type]!, engine);
      // measured (mean |Δ log p| per token, nats): Q8_0 0.073 vs 0.078 (llama.cpp's 8-bit
      // activations cost as much as the 8-bit weights), Q4_0 0.062 vs 0.74; a block layout
      // that llama.cpp reads differently (a scale's sign, the nibble order) is off by nats
      expect(decoded).toBeLessThan(0.15);
      if (type === "Q4_0") expect(decoded).toBeLessThan(original / 4);
    });
  }
});
