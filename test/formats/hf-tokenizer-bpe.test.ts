/**
 * A byte-level BPE as tokenizer.json (src/formats/hf/tokenizer-bpe.ts): Hugging Face's
 * own tokenizer (`@huggingface/tokenizers`, what the builtin backend and transformers.js
 * read) splits world text and edge cases exactly as BpeTokenizer does and decodes them
 * back; the file reads back as the same tokenizer; checkpoints keep the kind; and files
 * the lab cannot read are refused with what to do.
 */
import { join } from "node:path";
import { Tokenizer as HfTokenizer } from "@huggingface/tokenizers";
import { describe, expect, it } from "vitest";
import { BpeTokenizer, CharTokenizer, totalParameters } from "../../src/model/index.js";
import {
  loadCheckpoint, loadTokenizerFile, readTokenizerJson, saveCheckpoint, saveTokenizerFile, toTokenizerJson, type FormatError,
} from "../../src/formats/index.js";
import { corpusDocuments, trainBpe } from "../../src/train/index.js";
import { worldSettingsSchema } from "../../src/world/index.js";
import { tempDir, unwrap } from "./helpers.js";

const docs = corpusDocuments(worldSettingsSchema.parse({}), { knowledge: 0.5, arithmetic: 0.5 }, 600).map((d) => d.text);
const tok = trainBpe(docs, { vocabSize: 500 });
const json = toTokenizerJson(tok);
const hf = new HfTokenizer(json as object, {});

const EDGE = [
  "", " ", "   ", "\n", "\n\n\n", "a  b", "trailing spaces   ", " leading", "tab\there\r\n",
  "0123456789 1000000 3.14 -7", "it's they'll we've I'm she'd", "héllo wörld naïve café", "日本語テキスト", "emoji 🎉🚀 done",
  "<|system|>be brief<|end|><|user|>What is 2+3?<|end|><|assistant|>5<|end|>", "a<eos>b <pad> <unk><bos>", "<|user", "<<|end|>>",
];

describe("byte-level BPE tokenizer.json", () => {
  it("encodes world text and edge cases as @huggingface/tokenizers does, and decodes them back", () => {
    for (const text of [...docs.slice(0, 300), ...EDGE]) {
      const ours = tok.encode(text, { allowSpecial: true });
      expect(ours, JSON.stringify(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
      expect(tok.decode(ours)).toBe(text);
      if (ours.length) expect(hf.decode(ours, { skip_special_tokens: false })).toBe(text); // the library refuses an empty list
    }
  });

  it("is GPT-2's layout: BPE with merges, ByteLevel pre-tokenizer and decoder, specials as added tokens", () => {
    const j = json as { model: { type: string; merges: string[]; vocab: Record<string, number> }; pre_tokenizer: unknown; decoder: unknown; added_tokens: { id: number; special: boolean }[] };
    expect(j.model.type).toBe("BPE");
    expect(j.model.merges).toHaveLength(tok.merges.length);
    expect(j.model.merges[0]).toBe(tok.merges[0].join(" "));
    expect(Object.keys(j.model.vocab)).toHaveLength(500);
    expect(j.pre_tokenizer).toEqual({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect(j.decoder).toMatchObject({ type: "ByteLevel" });
    expect(j.added_tokens.map((t) => [t.id, t.special])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, true]));
  });

  it("reads back as the same tokenizer (either kind), through a file too", async () => {
    const back = unwrap(readTokenizerJson(JSON.parse(JSON.stringify(json))));
    expect(back.kind).toBe("bpe");
    expect(back.tokens).toEqual(tok.tokens);
    expect((back as BpeTokenizer).merges).toEqual(tok.merges);
    expect(unwrap(readTokenizerJson(toTokenizerJson(new CharTokenizer()))).kind).toBe("char");
    const file = join(await tempDir("bpe-json"), "tok.json");
    unwrap(await saveTokenizerFile(file, tok));
    expect((unwrap(await loadTokenizerFile(file)) as BpeTokenizer).merges).toEqual(tok.merges);
  });

  it("a checkpoint keeps the tokenizer it was saved with", async () => {
    const config = { vocabSize: tok.size, dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 32, contextLength: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
    const dir = join(await tempDir("bpe-ckpt"), "ck");
    unwrap(await saveCheckpoint(dir, { config, params: new Float32Array(totalParameters(config)), tokenizer: tok }));
    const ck = unwrap(await loadCheckpoint(dir));
    expect(ck.tokenizer.kind).toBe("bpe");
    expect(ck.tokenizer.encode(docs[0])).toEqual(tok.encode(docs[0]));
  });

  it("refuses files it cannot read, saying what is wrong and what to do", () => {
    const err = (j: unknown) => {
      const r = readTokenizerJson(j, "x/tokenizer.json");
      if (r.ok) throw new Error("expected an error");
      return r.error as Extract<FormatError, { code: "bad_tokenizer" }>;
    };
    const j = JSON.parse(JSON.stringify(json));
    expect(err({ ...j, model: { ...j.model, type: "WordPiece" } }).message).toMatch(/expected a "BPE" model.*ftledger lab tokenizer/);
    const swapped = { ...j.model.vocab, a: 9, "\u0101": 8 + 97 };
    expect(err({ ...j, model: { ...j.model, vocab: swapped } }).message).toMatch(/id \d+ is .*the lab's layout puts/);
    expect(err({ ...j, model: { ...j.model, merges: ["zz qq"] } }).message).toMatch(/merge 0/);
    expect(err({ ...j, pre_tokenizer: { ...j.pre_tokenizer, add_prefix_space: true } }).message).toMatch(/add_prefix_space/);
    // a file with merges but no ByteLevel pre-tokenizer is neither kind
    expect(err({ ...j, pre_tokenizer: null }).message).toMatch(/not a byte-level BPE.*ftledger lab tokenizer/);
  });
});
