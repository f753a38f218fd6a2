/**
 * A Hugging Face folder in bf16, sharded (model-0000i-of-0000n.safetensors +
 * model.safetensors.index.json: the layout of most published llama checkpoints, and of
 * the bench's 100M model, bench/make-bench-model.ts) is loaded by the builtin backend
 * and scores like its float32 original within bf16 rounding: exactly as float32 weights
 * rounded to bf16 (BF16 is the upper half of a float32, so the widening is exact), and
 * within a few thousandths of a nat per token of the unrounded original. The weights are
 * read straight into the caller's memory (`loadWeights(…, { into })`), so a 100M model
 * costs its float32 size once, not twice, while it loads.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTsKernels, loadKernels } from "../../../src/tensor/index.js";
import { createRng } from "../../../src/random/index.js";
import { CharTokenizer, Llama, numel, parameterTable, viewParameters, type ModelConfig } from "../../../src/model/index.js";
import { f32ToBf16Bits, loadWeights, openSafetensorsModel, saveCheckpoint, writeSafetensorsModelStream, INDEX_FILE } from "../../../src/formats/index.js";
import { openBuiltinModel } from "../../../src/backends/builtin/index.js";
import { tempDir, unwrap } from "../helpers.js";

const tok = new CharTokenizer();
const config: ModelConfig = {
  vocabSize: tok.size, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48, contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};
const kernels = createTsKernels();
const requests = [
  { prompt: "the cat ", continuation: "sees the dog" },
  { prompt: "1 + 2 = ", continuation: "3" },
  { prompt: "Q: who? A:", continuation: " nobody at all" },
];

/** Copy an f32 checkpoint's folder with its weights rewritten as bf16 shards of at most `maxShardBytes`. */
async function bf16Copy(from: string, to: string, params: Float32Array, maxShardBytes: number): Promise<string[]> {
  const table = parameterTable(config);
  const views = viewParameters(config, params).byName;
  const files = await writeSafetensorsModelStream(
    to, table.map((s) => ({ name: s.name, shape: s.shape, dtype: "BF16" as const })),
    async (i) => views.get(table[i].name)!,
    { metadata: { format: "pt" }, maxShardBytes },
  );
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]) await copyFile(join(from, f), join(to, f));
  return files;
}

const roundedToBf16 = (x: Float32Array): Float32Array => {
  const out = new Float32Array(x.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < x.length; i++) bits[i] = f32ToBf16Bits(x[i]) << 16;
  return out;
};

describe("bf16 sharded HF folders through the builtin backend", () => {
  it("load exactly as the bf16-rounded weights and score like the f32 original within bf16 rounding", async () => {
    const dir = await tempDir("bf16-sharded");
    const m = Llama.f32(config, kernels);
    m.initialize(createRng(21), 0.3);
    const params = m.params.flat.slice();
    const f32Dir = join(dir, "f32");
    unwrap(await saveCheckpoint(f32Dir, { config, params, tokenizer: tok }));
    const bf16Dir = join(dir, "bf16");
    await mkdir(bf16Dir);
    const files = await bf16Copy(f32Dir, bf16Dir, params, 8_000);
    // the layout: several shards, an index naming each tensor's shard, BF16 in every header
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThanOrEqual(3);
    const index = JSON.parse(await readFile(join(bf16Dir, INDEX_FILE), "utf8"));
    expect(index.metadata.total_size).toBe(params.length * 2);
    const src = unwrap(await openSafetensorsModel(bf16Dir));
    expect(new Set(src.names().map((n) => src.info(n)!.dtype))).toEqual(new Set(["BF16"]));
    await src.close();

    // loading: the float32 widening of the stored bf16 values, bit for bit
    const rounded = roundedToBf16(params);
    const loaded = unwrap(await loadWeights(bf16Dir, config)).params;
    expect(Buffer.from(loaded.buffer).equals(Buffer.from(rounded.buffer))).toBe(true);
    expect(Buffer.from(loaded.buffer).equals(Buffer.from(params.buffer))).toBe(false); // the rounding was real

    // scoring: the same as an f32 folder of the rounded weights, and close to the original
    const roundedDir = join(dir, "f32-rounded");
    unwrap(await saveCheckpoint(roundedDir, { config, params: rounded, tokenizer: tok }));
    const [viaBf16, viaRounded, viaF32] = await Promise.all([bf16Dir, roundedDir, f32Dir].map((d) => openBuiltinModel(d, { kernels })));
    const [a, b, c] = await Promise.all([viaBf16, viaRounded, viaF32].map((lm) => lm.scoreBatch(requests)));
    let maxDiff = 0;
    requests.forEach((_, i) => {
      expect(a[i].tokens.map((t) => t.logprob)).toEqual(b[i].tokens.map((t) => t.logprob));
      a[i].tokens.forEach((t, j) => (maxDiff = Math.max(maxDiff, Math.abs(t.logprob - c[i].tokens[j].logprob))));
    });
    // bf16 keeps 8 significant bits (relative rounding ≤ 2^-9 per weight): per-token log-probs move by
    // thousandths of a nat here, never by tenths
    expect(maxDiff).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(0.05);
    for (const lm of [viaBf16, viaRounded, viaF32]) await lm.close();
  });

  it("read into the caller's buffer (the builtin backend's kernel memory, wasm's shared memory included): one copy of the weights", async () => {
    const dir = await tempDir("bf16-into");
    const m = Llama.f32(config, kernels);
    m.initialize(createRng(22), 0.3);
    const f32Dir = join(dir, "f32");
    unwrap(await saveCheckpoint(f32Dir, { config, params: m.params.flat, tokenizer: tok }));
    const bf16Dir = join(dir, "bf16");
    await mkdir(bf16Dir);
    await bf16Copy(f32Dir, bf16Dir, m.params.flat, 8_000);
    const fresh = unwrap(await loadWeights(bf16Dir, config)).params;
    const { kernels: wasm } = await loadKernels("wasm");
    for (const into of [new Float32Array(fresh.length), wasm.alloc(fresh.length)]) {
      const got = unwrap(await loadWeights(bf16Dir, config, { into })).params;
      expect(got).toBe(into);
      expect(Buffer.from(new Uint8Array(into.buffer, into.byteOffset, into.byteLength)).equals(Buffer.from(fresh.buffer))).toBe(true);
    }
    await expect(loadWeights(bf16Dir, config, { into: new Float32Array(3) })).rejects.toThrow(/"into" has 3 elements, the config needs/);
  });
});
