/**
 * Tensor names of the llama family (Hugging Face LlamaForCausalLM layout) to layer and
 * module, for every module kind, with the PEFT prefix and bias suffix, and unknown names.
 */
import { describe, expect, it } from "vitest";
import { MODULE_KINDS, moduleGroup, parseTensorName, type ModuleKind } from "../../../src/weights/names.js";

describe("parseTensorName", () => {
  const cases: [string, number | null, ModuleKind][] = [
    ["model.embed_tokens.weight", null, "embed"],
    ["model.layers.0.input_layernorm.weight", 0, "attn_norm"],
    ["model.layers.3.self_attn.q_proj.weight", 3, "q"],
    ["model.layers.3.self_attn.k_proj.weight", 3, "k"],
    ["model.layers.3.self_attn.v_proj.weight", 3, "v"],
    ["model.layers.3.self_attn.o_proj.weight", 3, "o"],
    ["model.layers.12.post_attention_layernorm.weight", 12, "mlp_norm"],
    ["model.layers.31.mlp.gate_proj.weight", 31, "gate"],
    ["model.layers.31.mlp.up_proj.weight", 31, "up"],
    ["model.layers.31.mlp.down_proj.weight", 31, "down"],
    ["model.norm.weight", null, "final_norm"],
    ["lm_head.weight", null, "lm_head"],
  ];

  it("names every llama tensor kind", () => {
    for (const [name, layer, module] of cases) expect(parseTensorName(name), name).toEqual({ layer, module });
    // Every kind but "other" appears above exactly once.
    const seen = new Set(cases.map((c) => c[2]));
    expect([...MODULE_KINDS].filter((k) => !seen.has(k))).toEqual(["other"]);
  });

  it("accepts .bias and the PEFT base_model.model. prefix", () => {
    expect(parseTensorName("model.layers.5.self_attn.q_proj.bias")).toEqual({ layer: 5, module: "q" });
    expect(parseTensorName("base_model.model.model.layers.7.mlp.down_proj.weight")).toEqual({ layer: 7, module: "down" });
    expect(parseTensorName("base_model.model.lm_head.weight")).toEqual({ layer: null, module: "lm_head" });
    expect(parseTensorName("base_model.model.model.embed_tokens.weight")).toEqual({ layer: null, module: "embed" });
  });

  it("calls anything else 'other' and never throws", () => {
    expect(parseTensorName("model.layers.2.self_attn.rotary_emb.inv_freq")).toEqual({ layer: 2, module: "other" });
    expect(parseTensorName("model.layers.2.self_attn.q_proj.lora_A.weight")).toEqual({ layer: 2, module: "other" });
    expect(parseTensorName("model.layers.2.self_attn.q_proj")).toEqual({ layer: 2, module: "other" });
    expect(parseTensorName("transformer.h.0.attn.c_attn.weight")).toEqual({ layer: null, module: "other" });
    expect(parseTensorName("model.norm.scale")).toEqual({ layer: null, module: "other" });
    expect(parseTensorName("")).toEqual({ layer: null, module: "other" });
    expect(parseTensorName("lm_head.weight.extra")).toEqual({ layer: null, module: "other" });
    // "toString" is on Object.prototype: the lookup must not find it.
    expect(parseTensorName("model.layers.1.toString.weight")).toEqual({ layer: 1, module: "other" });
    expect(parseTensorName("constructor.weight")).toEqual({ layer: null, module: "other" });
  });
});

describe("moduleGroup", () => {
  it("groups attention, MLP, norms and embeddings", () => {
    const groups = Object.fromEntries(MODULE_KINDS.map((k) => [k, moduleGroup(k)]));
    expect(groups).toEqual({
      embed: "embed",
      attn_norm: "norm",
      q: "attn",
      k: "attn",
      v: "attn",
      o: "attn",
      mlp_norm: "norm",
      gate: "mlp",
      up: "mlp",
      down: "mlp",
      final_norm: "norm",
      lm_head: "embed",
      other: "other",
    });
  });
});
