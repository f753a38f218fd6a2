/**
 * PEFT LoRA folders: what writePeftAdapter writes reads back bit for bit, the files have
 * PEFT's names, fields and shapes, and each layout the engine cannot apply is refused with a
 * message naming the file, the field or tensor, and what to do.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, findAdapterBase, formatFormatError, openSafetensors, peftTensors, readPeftAdapter, resolveAdapterDir, saveCheckpoint, stepDir,
  writePeftAdapter, writeSafetensors, type TensorToWrite,
} from "../../src/formats/index.js";
import { CharTokenizer, totalParameters } from "../../src/model/index.js";
import { errorOf, sameBits, tempDir, unwrap } from "./helpers.js";
import { randomAdapter, tinyBase } from "./lora-fixtures.js";

const adapter = randomAdapter(tinyBase, { seed: 7, r: 4, alpha: 8, targets: ["q_proj", "k_proj", "v_proj", "down_proj"] });

async function written(name: string): Promise<string> {
  const dir = join(await tempDir("peft"), name);
  await writePeftAdapter(dir, adapter, { baseModel: "zoo/base-s" });
  return dir;
}

async function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): Promise<void> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  const c = JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  edit(c);
  await writeFile(file, JSON.stringify(c));
}

async function editTensors(dir: string, edit: (ts: TensorToWrite[]) => TensorToWrite[]): Promise<void> {
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), edit(peftTensors(adapter)), { format: "pt" });
}

/** The rendered error of reading `dir` against the tiny base. */
async function refusal(dir: string, base = tinyBase): Promise<string> {
  return formatFormatError(errorOf(await readPeftAdapter(dir, base)));
}

describe("PEFT adapter folders", () => {
  it("round-trips every factor bit for bit, with the config", async () => {
    const dir = await written("round");
    const back = unwrap(await readPeftAdapter(dir, tinyBase));
    expect(back.config).toEqual(adapter.config);
    expect(back.baseModel).toBe("zoo/base-s");
    expect(back.layers.length).toBe(tinyBase.nLayers);
    for (let l = 0; l < tinyBase.nLayers; l++) {
      expect(Object.keys(back.layers[l]).sort()).toEqual(["down_proj", "k_proj", "q_proj", "v_proj"]);
      for (const m of adapter.config.targetModules) {
        expect(sameBits(back.layers[l][m]!.A, adapter.layers[l][m]!.A)).toBe(true);
        expect(sameBits(back.layers[l][m]!.B, adapter.layers[l][m]!.B)).toBe(true);
      }
    }
  });

  it("writes PEFT's config fields and tensor names, A as (r, in) and B as (out, r)", async () => {
    const dir = await written("layout");
    const c = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG_FILE), "utf8"));
    expect(c).toMatchObject({
      peft_type: "LORA", task_type: "CAUSAL_LM", r: 4, lora_alpha: 8, lora_dropout: 0, bias: "none", fan_in_fan_out: false,
      use_rslora: false, use_dora: false, inference_mode: true, base_model_name_or_path: "zoo/base-s",
      target_modules: ["q_proj", "k_proj", "v_proj", "down_proj"],
    });
    const src = unwrap(await openSafetensors(join(dir, ADAPTER_WEIGHTS_FILE)));
    try {
      expect(src.metadata.format).toBe("pt");
      expect(src.names()).toHaveLength(2 * 4 * 2);
      // k_proj of a GQA model: out = nKvHeads · head size = 2 · 4
      expect(src.info("base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight")?.shape).toEqual([4, 16]);
      expect(src.info("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight")?.shape).toEqual([8, 4]);
      expect(src.info("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight")?.shape).toEqual([4, 24]);
      expect(src.info("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight")?.shape).toEqual([16, 4]);
    } finally {
      await src.close();
    }
  });

  it("replaces an earlier adapter in the folder as a whole", async () => {
    const dir = await written("replace");
    const other = randomAdapter(tinyBase, { seed: 8, r: 2, targets: ["o_proj"] });
    await writePeftAdapter(dir, other, { baseModel: "b" });
    const back = unwrap(await readPeftAdapter(dir, tinyBase));
    expect(back.config.targetModules).toEqual(["o_proj"]);
    expect(sameBits(back.layers[1].o_proj!.B, other.layers[1].o_proj!.B)).toBe(true);
  });

  it("reads F16 and BF16 factors as float32", async () => {
    const dir = await written("half");
    await editTensors(dir, (ts) => ts.map((t, i) => ({ ...t, dtype: i % 2 ? "F16" : "BF16" })));
    const back = unwrap(await readPeftAdapter(dir, tinyBase));
    const want = adapter.layers[0].q_proj!.B[3];
    expect(back.layers[0].q_proj!.B[3]).toBeCloseTo(want, 2);
    expect(back.layers[0].q_proj!.B[3]).not.toBe(want); // rounded through 16 bits
  });

  it("accepts target_modules \"all-linear\"", async () => {
    const full = randomAdapter(tinyBase, { seed: 9, r: 2 });
    const dir = join(await tempDir("peft"), "all");
    await writePeftAdapter(dir, full, { baseModel: "b" });
    await editConfig(dir, (c) => (c.target_modules = "all-linear"));
    expect(unwrap(await readPeftAdapter(dir, tinyBase)).config.targetModules).toEqual(full.config.targetModules);
  });

  it("finds the adapter of a checkpoint folder and of a lab LoRA run's newest checkpoint", async () => {
    const run = join(await tempDir("peft-run"), "run");
    await writePeftAdapter(join(stepDir(run, 1), "adapter"), adapter, { baseModel: "b" });
    await writePeftAdapter(join(stepDir(run, 12), "adapter"), adapter, { baseModel: "b" });
    expect(await resolveAdapterDir(run)).toBe(join(stepDir(run, 12), "adapter"));
    expect(await resolveAdapterDir(stepDir(run, 1))).toBe(join(stepDir(run, 1), "adapter"));
    expect(await resolveAdapterDir(join(stepDir(run, 1), "adapter"))).toBe(join(stepDir(run, 1), "adapter"));
    expect(await resolveAdapterDir(join(run, "nope"))).toBe(join(run, "nope"));
  });

  it("finds the base through base_model_name_or_path, a relative path also from the adapter folder", async () => {
    const root = await tempDir("peft-base");
    unwrap(await saveCheckpoint(join(root, "base"), { config: tinyBase, params: new Float32Array(totalParameters(tinyBase)), tokenizer: new CharTokenizer() }));
    await writePeftAdapter(join(root, "a"), adapter, { baseModel: "../base" });
    const found = unwrap(await findAdapterBase(join(root, "a")));
    expect(found.dir).toBe(join(root, "a", "../base"));
    expect(found.config).toEqual(tinyBase);
  });

  describe("refuses", () => {
    it("a folder without adapter_config.json", async () => {
      const dir = await written("noconfig");
      await rm(join(dir, ADAPTER_CONFIG_FILE));
      expect(await refusal(dir)).toMatch(/adapter_config\.json: not found \(PEFT adapter config/);
    });
    it("a folder without adapter_model.safetensors", async () => {
      const dir = await written("noweights");
      await rm(join(dir, ADAPTER_WEIGHTS_FILE));
      expect(await refusal(dir)).toMatch(/adapter_model\.safetensors: not found \(LoRA factors/);
    });
    it("pickled weights (adapter_model.bin), saying how to save safetensors", async () => {
      const dir = await written("pickle");
      await rm(join(dir, ADAPTER_WEIGHTS_FILE));
      await writeFile(join(dir, "adapter_model.bin"), "PK");
      expect(await refusal(dir)).toMatch(/adapter_model\.bin: .*pickle.*safe_serialization=True/);
    });
    const configCases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ["an unknown peft_type", (c) => (c.peft_type = "LOHA"), /peft_type is "LOHA", not "LORA": only LoRA adapters are supported/],
      ["rsLoRA", (c) => (c.use_rslora = true), /use_rslora is true: rank-stabilised LoRA .* not supported\. ftledger applies plain LoRA only/],
      ["DoRA", (c) => (c.use_dora = true), /use_dora is true: DoRA .* not supported/],
      ["a trained bias", (c) => (c.bias = "lora_only"), /bias is "lora_only": trained biases are not supported/],
      ["fan_in_fan_out", (c) => (c.fan_in_fan_out = true), /fan_in_fan_out is true: .* not supported/],
      ["per-module ranks", (c) => (c.rank_pattern = { q_proj: 8 }), /rank_pattern is .* not supported/],
      ["layers_to_transform", (c) => (c.layers_to_transform = [0]), /layers_to_transform is \[0\]: not supported/],
      ["modules_to_save", (c) => (c.modules_to_save = ["lm_head"]), /modules_to_save is \["lm_head"\]: not supported/],
      ["a module that is not a llama linear layer", (c) => (c.target_modules = ["q_proj", "c_attn"]), /target_modules names "c_attn", which is not a linear layer.*Use target_modules from q_proj/],
      ["a regex target_modules", (c) => (c.target_modules = ".*proj"), /regular expressions are not supported/],
      ["a zero rank", (c) => (c.r = 0), /r is 0: the rank must be a positive integer/],
    ];
    for (const [what, edit, message] of configCases) {
      it(what, async () => {
        const dir = await written(what.replace(/\W+/g, "-"));
        await editConfig(dir, edit);
        const msg = await refusal(dir);
        expect(msg).toMatch(new RegExp(`^${join(dir, ADAPTER_CONFIG_FILE).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `));
        expect(msg).toMatch(message);
      });
    }
    it("factors of a module that is not in target_modules", async () => {
      const dir = await written("extra-module");
      await editConfig(dir, (c) => (c.target_modules = ["q_proj", "k_proj", "v_proj"]));
      expect(await refusal(dir)).toMatch(/tensor "base_model\.model\.model\.layers\.0\.mlp\.down_proj\.lora_A\.weight": module "down_proj" is not in target_modules \[q_proj, k_proj, v_proj\]\. Add it to target_modules/);
    });
    it("a missing factor", async () => {
      const dir = await written("missing-factor");
      await editTensors(dir, (ts) => ts.filter((t) => t.name !== "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"));
      expect(await refusal(dir)).toMatch(/"base_model\.model\.model\.layers\.1\.self_attn\.v_proj\.lora_B\.weight": missing: .*layer 1, v_proj/);
    });
    it("a DoRA magnitude vector", async () => {
      const dir = await written("dora-tensor");
      await editTensors(dir, (ts) => [...ts, { name: "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", shape: [16], data: new Float32Array(16) }]);
      expect(await refusal(dir)).toMatch(/lora_magnitude_vector": a DoRA magnitude vector: DoRA is not supported/);
    });
    it("shapes that do not fit the base, naming expected and got", async () => {
      const dir = await written("shape");
      const wider = { ...tinyBase, dim: 32 };
      expect(await refusal(dir, wider)).toMatch(
        /"base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight": shape \[4, 16\], but r = 4 and the base's q_proj imply \[4, 32\] \(r, in_features\)\. Use the base model this adapter was trained on/,
      );
    });
    it("a layer the base does not have", async () => {
      const dir = await written("layers");
      expect(await refusal(dir, { ...tinyBase, nLayers: 1 })).toMatch(/layers\.1\..*layer 1 does not exist: the base model has 1 layers/);
    });
    it("non-float factors", async () => {
      const dir = await written("int");
      // an I32 tensor: rewrite the header's dtype of one F32 factor (same byte count)
      const file = join(dir, ADAPTER_WEIGHTS_FILE);
      const bytes = await readFile(file);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = bytes.subarray(8, 8 + n).toString("utf8");
      const edited = header.replace(/("base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight":\{"dtype":)"F32"/, '$1"I32"');
      expect(edited).not.toBe(header);
      await writeFile(file, Buffer.concat([bytes.subarray(0, 8), Buffer.from(edited), bytes.subarray(8 + n)]));
      expect(await refusal(dir)).toMatch(/q_proj\.lora_A\.weight" has dtype "I32", which ftledger cannot read as weights .*Convert/);
    });
  });
});
