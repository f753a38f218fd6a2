/**
 * tokenizer.json must make any huggingface/tokenizers implementation split text exactly
 * as CharTokenizer does. The reader below is written from the tokenizers pipeline
 * (added-token split → normalizer → pre-tokenizer → BPE model → decoder), not from our
 * writer, so it checks the file's meaning rather than its bytes. The chat template is
 * rendered by @huggingface/jinja (transformers.js's engine; installed with node-llama-cpp).
 */
import { Template } from "@huggingface/jinja";
import { describe, expect, it } from "vitest";
import { CharTokenizer, SPECIAL_TOKENS } from "../../src/model/index.js";
import { readTokenizerJson, toTokenizerConfig, toTokenizerJson, type FormatError } from "../../src/formats/index.js";
import { unwrap } from "./helpers.js";

interface TokenizerJson {
  added_tokens: { id: number; content: string; special: boolean }[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  decoder: { type: string } | null;
  model: { type: string; vocab: Record<string, number>; merges: unknown[]; unk_token: string | null; fuse_unk: boolean; byte_fallback: boolean };
}

/** A minimal tokenizers reading: only what a no-merge BPE file can express. */
function hfEncode(tj: TokenizerJson, text: string): number[] {
  expect(tj.model.type).toBe("BPE");
  expect(tj.normalizer).toBeNull();
  expect(tj.pre_tokenizer).toBeNull();
  expect(tj.model.merges).toEqual([]);
  expect(tj.model.byte_fallback).toBe(false);
  const added = [...tj.added_tokens].sort((a, b) => b.content.length - a.content.length);
  const ids: number[] = [];
  let word = "";
  const flushWord = () => {
    // BPE on one word: start from its characters (code points); with no merges they stay apart
    for (const ch of word) {
      const id = tj.model.vocab[ch] ?? (tj.model.unk_token !== null ? tj.model.vocab[tj.model.unk_token] : undefined);
      if (id === undefined) throw new Error(`no id for ${JSON.stringify(ch)}`);
      ids.push(id);
    }
    word = "";
  };
  for (let i = 0; i < text.length; ) {
    // added tokens are matched first, leftmost-longest (tokenizers' AddedVocabulary)
    const hit = added.find((t) => text.startsWith(t.content, i));
    if (hit) {
      flushWord();
      ids.push(hit.id);
      i += hit.content.length;
    } else {
      word += text[i++];
    }
  }
  flushWord();
  return ids;
}

function hfDecode(tj: TokenizerJson, ids: number[]): string {
  expect(tj.decoder).toEqual({ type: "Fuse" }); // concatenation; without it tokens would be joined by spaces
  const byId = new Map(Object.entries(tj.model.vocab).map(([t, id]) => [id, t]));
  return ids.map((id) => byId.get(id)).join("");
}

const tok = new CharTokenizer();
const tj = JSON.parse(JSON.stringify(toTokenizerJson(tok))) as TokenizerJson;

describe("tokenizer.json", () => {
  const plain = ["Hello, world!", "  two  spaces\tand tab\nnew line", "{\"json\": [1, 2.5e-3]}", "~`!@#$%^&*()_+-=|\\", "", "café ünï"];
  const withSpecials = ["<|system|>be brief<|end|><|user|>2+2?<|end|><|assistant|>4<|end|>", "<bos>x<eos><pad><unk>", "<|use|> <|user"];

  it("gives the same ids as CharTokenizer on plain text (unknown characters → <unk>)", () => {
    for (const text of plain) expect(hfEncode(tj, text)).toEqual(tok.encode(text));
    expect(hfEncode(tj, "é")).toEqual([tok.unk]);
  });

  it("matches special tokens as added tokens, like CharTokenizer with allowSpecial", () => {
    for (const text of withSpecials) expect(hfEncode(tj, text)).toEqual(tok.encode(text, { allowSpecial: true }));
    for (const t of tj.added_tokens) expect(t.special).toBe(true);
    expect(tj.added_tokens.map((t) => t.content)).toEqual([...SPECIAL_TOKENS]);
  });

  it("decodes by concatenation", () => {
    const text = "a b\tc\nd";
    expect(hfDecode(tj, tok.encode(text))).toBe(text);
  });

  it("has every token once, with CharTokenizer's ids", () => {
    expect(Object.keys(tj.model.vocab)).toHaveLength(tok.size);
    tok.tokens.forEach((t, id) => expect(tj.model.vocab[t]).toBe(id));
  });

  it("reads back as the character tokenizer and rejects a different vocab", () => {
    expect(unwrap(readTokenizerJson(tj)).tokens).toEqual(tok.tokens);
    const other = JSON.parse(JSON.stringify(tj)) as TokenizerJson;
    other.model.vocab = { ...other.model.vocab, a: 5, "<|system|>": 70 };
    const r = readTokenizerJson(other, "m/tokenizer.json");
    expect(r.ok).toBe(false);
    expect((r as { error: FormatError }).error).toMatchObject({ code: "bad_tokenizer", file: "m/tokenizer.json" });
  });
});

describe("chat template", () => {
  it("renders role markers with @huggingface/jinja", () => {
    const cfg = toTokenizerConfig(tok, { contextLength: 128 } as never) as { chat_template: string; bos_token: string };
    const messages = [
      { role: "system", content: "be brief" },
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "4" },
    ];
    const render = (add_generation_prompt: boolean) =>
      new Template(cfg.chat_template).render({ messages, bos_token: cfg.bos_token, add_generation_prompt });
    expect(render(false)).toBe("<bos><|system|>be brief<|end|><|user|>2+2?<|end|><|assistant|>4<|end|>");
    expect(render(true)).toBe("<bos><|system|>be brief<|end|><|user|>2+2?<|end|><|assistant|>4<|end|><|assistant|>");
    expect(hfEncode(tj, render(true)).slice(0, 2)).toEqual([tok.bos, tok.idOf("<|system|>")]);
  });
});
