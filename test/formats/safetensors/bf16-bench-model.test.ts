/**
 * bench/make-bench-model.ts on a tiny recipe (the 100M one is made at bench time only):
 * an HF folder in bf16 shards and a q8_0 GGUF for a base and a seeded perturbation of it,
 * the same bytes from the same recipe, cached and reused only while the recorded hashes
 * match.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { totalParameters } from "../../../src/model/index.js";
import { INDEX_FILE, loadModelConfig, loadWeights, openGguf, openSafetensorsModel } from "../../../src/formats/index.js";
import { openBuiltinModel } from "../../../src/backends/builtin/index.js";
import { BENCH_100M, benchConfig, makeBenchModel, type BenchRecipe } from "../../../bench/make-bench-model.js";
import { tempDir, unwrap } from "../helpers.js";

const tiny: BenchRecipe = {
  ...BENCH_100M, name: "bench-tiny", vocabSize: 600, dim: 64, nLayers: 2, nHeads: 4, ffnDim: 96, contextLength: 64,
  worldDocs: 40, lexicon: 400, sentences: 400, maxShardBytes: 40_000,
};

describe("the bench model script", () => {
  it("writes bf16 shards and q8_0 GGUFs of a base and its perturbation, deterministically, and reuses them while their hashes match", async () => {
    const root = await tempDir("bench-model");
    const quiet = { root, recipe: tiny, log: () => {} };
    const made = await makeBenchModel(quiet);
    expect(made.reused).toBe(false);
    const config = benchConfig(tiny, 600);
    expect(made.manifest.vocab.reached).toBe(600);
    expect(made.manifest.parameters).toBe(totalParameters(config));

    // HF layout: several bf16 shards and their index; config.json says bfloat16 and matches the recipe
    const index = JSON.parse(await readFile(join(made.base.hf, INDEX_FILE), "utf8"));
    const shards = [...new Set(Object.values(index.weight_map as Record<string, string>))];
    expect(shards.length).toBeGreaterThanOrEqual(2);
    const src = unwrap(await openSafetensorsModel(made.base.hf));
    expect(new Set(src.names().map((n) => src.info(n)!.dtype))).toEqual(new Set(["BF16"]));
    await src.close();
    expect(JSON.parse(await readFile(join(made.base.hf, "config.json"), "utf8")).torch_dtype).toBe("bfloat16");
    expect(unwrap(await loadModelConfig(made.base.hf))).toEqual(config);

    // GGUF: q8_0 matrices, the whole vocabulary
    const gguf = unwrap(await openGguf(made.base.gguf));
    expect(gguf.tensor("blk.0.attn_q.weight")?.typeName).toBe("Q8_0");
    const tokens = gguf.kv.get("tokenizer.ggml.tokens");
    expect(tokens?.type === "array" ? tokens.value.length : 0).toBe(600);
    await gguf.close();

    // the tuned arm moves every matrix and no norm gain
    const a = unwrap(await loadWeights(made.base.hf, config)).params;
    const b = unwrap(await loadWeights(made.tuned.hf, config)).params;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(false);
    const d = config.dim;
    expect(Array.from(a.subarray(a.length - d))).toEqual(Array.from(b.subarray(b.length - d))); // model.norm.weight (last)

    const lm = await openBuiltinModel(made.base.hf);
    const [s] = await lm.scoreBatch([{ prompt: "Brai shouk", continuation: " tralen" }]);
    expect(Number.isFinite(s.logprob)).toBe(true);
    await lm.close();

    // cached: reused as is
    expect((await makeBenchModel(quiet)).reused).toBe(true);
    // a damaged shard: its hash no longer matches, so the folder is made again, byte for byte the same
    const shard = join(made.base.hf, shards[0]);
    const bytes = await readFile(shard);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(shard, bytes);
    const again = await makeBenchModel(quiet);
    expect(again.reused).toBe(false);
    expect(again.manifest.files).toEqual(made.manifest.files);
    expect((await makeBenchModel(quiet)).reused).toBe(true);
  });
});
