/**
 * zoo/base-m-bpe: base-m's architecture pre-trained with the 1,024-token byte-level BPE
 * that zoo/recipes/base-m-bpe.tokenizer.json holds (its recipe names that file); the
 * shipped tokenizer.json is that tokenizer and the model's vocabulary is its size (the zoo's
 * size limit is zoo.test.ts's).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpointMeta, loadTokenizerFile, ZOO_DIR } from "../../src/formats/index.js";
import type { BpeTokenizer } from "../../src/model/index.js";

describe("zoo/base-m-bpe", () => {
  it("ships the tokenizer its recipe names, at the vocabulary its config has", async () => {
    const recipe = JSON.parse(await readFile(join(ZOO_DIR, "recipes", "base-m-bpe.json"), "utf8"));
    const named = await loadTokenizerFile(join(ZOO_DIR, "recipes", recipe.tokenizer));
    const meta = await loadCheckpointMeta(join(ZOO_DIR, "base-m-bpe"));
    if (!named.ok || !meta.ok) throw new Error("unreadable zoo files");
    const tok = meta.value.tokenizer as BpeTokenizer;
    expect(tok.kind).toBe("bpe");
    expect(tok.size).toBe(1024);
    expect(meta.value.config.vocabSize).toBe(1024);
    expect(tok.tokens).toEqual(named.value.tokens);
    expect(tok.merges).toEqual((named.value as BpeTokenizer).merges);
    const run = JSON.parse(await readFile(join(ZOO_DIR, "base-m-bpe", "run.json"), "utf8"));
    expect(run.data.tokenizer).toBe("bpe 1024");
    expect(run.recipeConfig.tokenizer).toBe(recipe.tokenizer);
  });

});
