/** `ftledger lab tokenizer`: trains a byte-level BPE on a pretrain config's world corpus and writes tokenizer.json. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadTokenizerFile } from "../../src/formats/index.js";
import { corpusDocuments, resolveRecipeConfig, type PretrainConfig } from "../../src/train/index.js";
import { ftledger } from "./run-cli.js";

describe("ftledger lab tokenizer", () => {
  it("trains on the corpus the config's pretraining sees and writes a tokenizer.json that reads back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-lab-tok-"));
    const config = join(dir, "pretrain.json");
    const json = { world: { seed: 3, knowledge: { entities: 10 } } };
    await writeFile(config, JSON.stringify(json));
    const out = join(dir, "tok.json");
    const r = ftledger("lab", "tokenizer", "--vocab-size", "320", "--config", config, "--documents", "200", "--out", out);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/320 tokens \(56 merges\) from 200 documents \(world seed 3\)/);
    expect(r.stdout).toMatch(/the vocabulary reached 320 tokens/);
    expect(r.stdout).toMatch(/characters per token/);
    const tok = await loadTokenizerFile(out);
    if (!tok.ok) throw new Error("unreadable");
    expect(tok.value.kind).toBe("bpe");
    // trained on that world's documents: its text encodes to fewer tokens than characters
    const settings = resolveRecipeConfig("pretrain", json);
    if (!settings.ok) throw new Error(settings.message);
    const c = settings.value.config as PretrainConfig;
    const doc = corpusDocuments(c.world, c.mixture, 200)[0].text;
    expect(tok.value.encode(doc).length).toBeLessThan(doc.length * 0.7);
  });

  it("refuses a vocabulary below the byte tokens, and --help shows an example", () => {
    const bad = ftledger("lab", "tokenizer", "--vocab-size", "100", "--out", join(tmpdir(), "never.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--vocab-size must be an integer ≥ 264/);
    const help = ftledger("lab", "tokenizer", "--help");
    expect(help.stdout).toMatch(/ftledger lab tokenizer --vocab-size 1024 --config zoo\/recipes\/base-m\.json --out bpe\.json/);
  });
});
