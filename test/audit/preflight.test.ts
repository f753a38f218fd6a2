/**
 * The pre-flight, each check on a deliberately broken pair: the same weights twice, an
 * "adapter" that changes nothing, a tuned model whose tokenizer splits prompts otherwise,
 * a doubled BOS, a BOS on one side only, and a server that returns no prompt log-probs.
 * A sound pair (zoo/base-s against zoo/base-m) raises nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel, type LanguageModel, type Vocabulary } from "../../src/backends/index.js";
import { audit, openRunStore, preflight, PreflightRefusal, suiteItems, type AuditModel } from "../../src/audit/index.js";
import { DEFAULT_WORLD } from "../../src/world/index.js";
import { selectProbes } from "../../src/probes/index.js";
import { createOpenAIModel } from "../../src/backends/openai/index.js";
import { startFakeOpenAIServer, type FakeServer } from "../helpers/fake-openai-server.js";
import { tempDir } from "../formats/helpers.js";

const items = suiteItems("arithmetic", DEFAULT_WORLD, 4);
const raw = { kind: "raw" } as const;
let s: LanguageModel;
let m: LanguageModel;
let server: FakeServer;

beforeAll(async () => {
  s = await openModel("builtin:zoo/base-s");
  m = await openModel("builtin:zoo/base-m");
  server = await startFakeOpenAIServer({ logprobs: "llamacpp" });
});
afterAll(async () => {
  await s?.close();
  await m?.close();
  await server?.close();
});

/** The same model under another content id (what a no-op adapter looks like from outside). */
function renamed(model: LanguageModel, id: string): LanguageModel {
  return Object.create(model, { id: { value: id } }) as LanguageModel;
}

/** The model with another vocabulary in front of it. */
function withVocab(model: LanguageModel, id: string, vocab: (v: Vocabulary) => Partial<Vocabulary>): LanguageModel {
  const v = model.vocab!;
  const shown: Vocabulary = {
    size: v.size, bosId: v.bosId, encode: v.encode.bind(v), encodePrompt: v.encodePrompt.bind(v), decode: v.decode.bind(v), tokenText: v.tokenText.bind(v), ...vocab(v),
  };
  // own properties shadow the prototype's getters (vocab is a getter on the builtin model)
  return Object.create(model, { id: { value: id }, vocab: { value: shown } }) as LanguageModel;
}

const arm = (spec: string, model: LanguageModel, format: AuditModel["format"] = raw): AuditModel => ({ spec, model, format });
const codes = async (base: AuditModel, tuned: AuditModel[]) => (await preflight(base, tuned, items)).map((f) => `${f.code}:${f.severity}`);

describe("preflight", () => {
  it("a sound pair raises nothing", async () => {
    expect(await codes(arm("s", s), [arm("m", m)])).toEqual([]);
  });

  it("the same weights twice: a warning naming the content id", async () => {
    const f = await preflight(arm("s", s), [arm("s-again", s)], items);
    expect(f.map((x) => x.code)).toEqual(["same_weights"]);
    expect(f[0].message).toContain(s.id);
  });

  it("a tuned model that computes the base's distributions: the silent no-op", async () => {
    const f = await preflight(arm("m", m), [arm("m+lora@0", renamed(m, "builtin:pretend-adapter"))], items);
    expect(f.map((x) => x.code)).toEqual(["no_op"]);
    expect(f[0].message).toMatch(/max \|Δ log p\| = 0\.0e\+0/);
  });

  it("another tokenization of the probe prompts", async () => {
    // every digit split off as the token for "#": a different tokenizer of the same vocabulary size
    const hash = m.vocab!.encode("#")[0];
    const odd = withVocab(m, "builtin:odd-tokenizer", (v) => ({ encodePrompt: (t: string) => v.encodePrompt(t).map((id) => (/[0-9]/.test(v.tokenText(id)) ? hash : id)) }));
    const f = await codes(arm("m", m), [arm("odd", odd)]);
    expect(f).toContain("tokenization_differs:warn");
  });

  it("a doubled BOS, and a BOS on one side only", async () => {
    const bos = m.vocab!.bosId!;
    // a tokenizer that adds a BOS, fed a template that already starts with one
    const adds = withVocab(m, "builtin:adds-bos", (v) => ({ encodePrompt: (t: string) => [bos, ...v.encodePrompt(t)] }));
    const doubled = await codes(arm("m", m), [arm("adds", adds, { kind: "template", template: "<bos>{prompt}" })]);
    expect(doubled).toContain("bos_doubled:warn");
    expect(doubled).toContain("bos_one_side:warn");
  });

  it("a server that returns no prompt log-probs is refused before any work", async () => {
    const srv = await createOpenAIModel({ endpoints: [server.url], model: "toy", retryBaseMs: 1, retryMaxMs: 5 });
    try {
      const f = await preflight(arm("m", m), [arm("llama-server", srv)], items);
      expect(f.map((x) => `${x.code}:${x.severity}`)).toEqual(["no_prompt_logprobs:refuse"]);
      const dir = await tempDir("preflight");
      const store = openRunStore(dir);
      try {
        const probes = selectProbes(["task.accuracy"]);
        if (!probes.ok) throw new Error(probes.error);
        const err = await audit({
          base: arm("m", m), tuned: [arm("llama-server", srv)], probes: probes.value, items, sources: ["test"],
          settings: { seed: 1, samples: 2, maxTokens: 8, batchSize: 4, sameFormat: false }, store,
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PreflightRefusal);
        expect((err as Error).message).toMatch(/no_prompt_logprobs.*llama-server cannot score a prompt/s);
        expect(store.runs()).toEqual([]); // nothing was started
      } finally {
        store.close();
      }
    } finally {
      await srv.close();
    }
  });
});
