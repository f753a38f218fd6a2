/**
 * Hugging Face checkpoint folders: save → load bit-exact (tied and untied, single file
 * and sharded), the config.json mapping, and each way a folder can be wrong.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CharTokenizer, parameterTable, totalParameters, type ModelConfig } from "../../src/model/index.js";
import {
  formatFormatError, loadCheckpoint, readModelConfig, saveCheckpoint, toHfConfig, writeSafetensors, type FormatError,
} from "../../src/formats/index.js";
import { errorOf, sameBits, sampleFloats, tempDir, unwrap } from "./helpers.js";

const dir = await tempDir("ckpt");
const tok = new CharTokenizer();
const base: ModelConfig = {
  vocabSize: 112, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48, contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};
const tied: ModelConfig = { ...base, tiedEmbeddings: true };

async function saved(name: string, config: ModelConfig, opts = {}) {
  const path = join(dir, name);
  const params = sampleFloats(totalParameters(config), 7);
  unwrap(await saveCheckpoint(path, { config, params, tokenizer: tok, metadata: { step: "12" } }, opts));
  return { path, params };
}

const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;

describe("checkpoint save → load", () => {
  for (const [label, config] of [["untied", base], ["tied", tied]] as const) {
    it(`is bit-exact (${label})`, async () => {
      const { path, params } = await saved(label, config);
      const ck = unwrap(await loadCheckpoint(path));
      expect(ck.config).toEqual(config);
      expect(sameBits(ck.params, params)).toBe(true);
      expect(ck.tokenizer.tokens).toEqual(tok.tokens);
      expect(ck.metadata).toEqual({ step: "12", format: "pt" });
      expect((await readdir(path)).sort()).toEqual(
        ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
      );
    });
  }

  it("writes HF names, and no lm_head when tied", async () => {
    const { path } = await saved("names", tied);
    const bytes = await readFile(join(path, "model.safetensors"));
    const header = JSON.parse(bytes.toString("utf8", 8, 8 + Number(bytes.readBigUInt64LE(0))));
    expect(Object.keys(header).filter((k) => k !== "__metadata__")).toEqual(parameterTable(tied).map((p) => p.name));
    expect(header["lm_head.weight"]).toBeUndefined();
    expect(header["model.layers.1.self_attn.k_proj.weight"].shape).toEqual([16, 32]);
  });

  it("writes a LlamaForCausalLM config.json and tokenizer_config.json with a chat template", async () => {
    const { path } = await saved("cfg", base);
    const cfg = await readJson(join(path, "config.json"));
    expect(cfg).toMatchObject({
      architectures: ["LlamaForCausalLM"], model_type: "llama", vocab_size: 112, hidden_size: 32, intermediate_size: 48,
      num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8, max_position_embeddings: 64,
      rope_theta: 10000, rms_norm_eps: 1e-5, tie_word_embeddings: false, hidden_act: "silu", torch_dtype: "float32",
      bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, attention_bias: false, mlp_bias: false, rope_scaling: null,
    });
    const tc = await readJson(join(path, "tokenizer_config.json"));
    expect(tc).toMatchObject({ bos_token: "<bos>", eos_token: "<eos>", pad_token: "<pad>", unk_token: "<unk>" });
    for (const marker of ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]) expect(tc.chat_template as string).toContain(marker.slice(0, 2));
    expect(await readJson(join(path, "generation_config.json"))).toMatchObject({ bos_token_id: 1, eos_token_id: [2, 7] });
  });

  it("reads sharded folders", async () => {
    const { path, params } = await saved("sharded", base, { maxShardBytes: 20_000 });
    const files = await readdir(path);
    expect(files).toContain("model.safetensors.index.json");
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    expect(sameBits(unwrap(await loadCheckpoint(path)).params, params)).toBe(true);
  });

  it("replaces an existing folder whole and leaves no temp folder", async () => {
    const { path } = await saved("replace", base);
    await writeFile(join(path, "stale.txt"), "from the old checkpoint");
    await saved("replace", tied);
    expect(await readdir(path)).not.toContain("stale.txt");
    expect(unwrap(await loadCheckpoint(path)).config.tiedEmbeddings).toBe(true);
    expect((await readdir(dir)).filter((f) => /\.(tmp|old)-/.test(f))).toEqual([]);
  });
});

describe("readModelConfig", () => {
  const hf = toHfConfig(base, tok);
  const field = (json: Record<string, unknown>) => {
    const r = readModelConfig(json, "x/config.json");
    return r.ok ? null : (r.error as Extract<FormatError, { code: "bad_config" }>).field;
  };

  it("maps HF fields both ways and applies LlamaConfig defaults", () => {
    expect(unwrap(readModelConfig(hf))).toEqual(base);
    const { num_key_value_heads: _k, head_dim: _h, tie_word_embeddings: _t, ...minimal } = hf;
    expect(unwrap(readModelConfig(minimal))).toMatchObject({ nKvHeads: 4, tiedEmbeddings: false });
  });

  it("names the field that makes a config unusable", () => {
    expect(field({ ...hf, architectures: ["MistralForCausalLM"] })).toBe("architectures");
    expect(field({ ...hf, model_type: "mistral" })).toBe("model_type");
    expect(field({ ...hf, rope_scaling: { type: "linear", factor: 2 } })).toBe("rope_scaling");
    expect(field({ ...hf, head_dim: 16 })).toBe("head_dim");
    expect(field({ ...hf, hidden_size: "32" })).toBe("hidden_size");
    expect(field({ ...hf, num_key_value_heads: 3 })).toBe("num_key_value_heads");
    expect(field({ ...hf, attention_bias: true })).toBe("attention_bias");
    // a corrupt context length would size the engine's RoPE table: refused before it is built
    expect(field({ ...hf, max_position_embeddings: 2 ** 40 })).toBe("max_position_embeddings");
    expect(field({ ...hf, max_position_embeddings: 131072 })).toBeNull(); // a real long-context llama's
    const e = errorOf(readModelConfig({ ...hf, rope_scaling: { type: "yarn" } }, "x/config.json"));
    expect(formatFormatError(e)).toMatch(/x\/config\.json.*rope_scaling/);
  });
});

describe("broken checkpoint folders", () => {
  /** Load `path`, expect `code`; the message must name `mention` (file, tensor, field). */
  async function expectError(path: string, code: string, ...mention: string[]) {
    const e = errorOf(await loadCheckpoint(path));
    expect(e.code).toBe(code);
    const msg = formatFormatError(e);
    for (const m of mention) expect(msg).toContain(m);
    return e;
  }

  it("missing files", async () => {
    const a = (await saved("nocfg", base)).path;
    await rm(join(a, "config.json"));
    await expectError(a, "missing_file", "config.json");
    const b = (await saved("noweights", base)).path;
    await rm(join(b, "model.safetensors"));
    await expectError(b, "missing_file", "model.safetensors");
  });

  it("config.json of another architecture", async () => {
    const { path } = await saved("arch", base);
    await writeFile(join(path, "config.json"), JSON.stringify({ ...toHfConfig(base, tok), model_type: "gpt2" }));
    await expectError(path, "bad_config", "model_type");
  });

  it("a tensor whose shape disagrees with config.json", async () => {
    const { path } = await saved("shape", base);
    await writeFile(join(path, "config.json"), JSON.stringify({ ...toHfConfig(base, tok), intermediate_size: 64 }));
    const e = await expectError(path, "shape_mismatch", "model.layers.0.mlp.gate_proj.weight", "model.safetensors");
    expect(e).toMatchObject({ expected: [64, 32], got: [48, 32] });
  });

  it("missing and unexpected tensors are listed", async () => {
    const { path } = await saved("missing", base);
    const keep = parameterTable(base).filter((p) => !p.name.startsWith("model.layers.1."));
    await writeSafetensors(join(path, "model.safetensors"), keep.map((p) => ({ name: p.name, shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) })));
    const e = await expectError(path, "missing_tensors", "model.layers.1.input_layernorm.weight");
    expect((e as { tensors: string[] }).tensors).toHaveLength(9);
    const extra = (await saved("extra", tied)).path;
    await writeFile(join(extra, "config.json"), JSON.stringify({ ...toHfConfig(tied, tok), num_hidden_layers: 1 }));
    await expectError(extra, "unexpected_tensors", "model.layers.1.self_attn.q_proj.weight");
  });

  it("an unknown dtype in the weights names the tensor", async () => {
    const { path } = await saved("dtype", base);
    const file = join(path, "model.safetensors");
    const bytes = await readFile(file);
    const n = Number(bytes.readBigUInt64LE(0));
    // the first tensor's dtype, replaced by one of the same byte length (JSON allows the space)
    const header = bytes.toString("utf8", 8, 8 + n).replace(`"dtype":"F32"`, `"dtype":"Q4" `);
    await writeFile(file, Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + n)]));
    await expectError(path, "unknown_dtype", "model.embed_tokens.weight", "Q4");
  });

  it("a tokenizer.json that is not the character tokenizer", async () => {
    const { path } = await saved("tok", base);
    const t = await readJson(join(path, "tokenizer.json"));
    (t.model as { merges: string[] }).merges = ["a b"];
    await writeFile(join(path, "tokenizer.json"), JSON.stringify(t));
    await expectError(path, "bad_tokenizer", "tokenizer.json");
  });
});
