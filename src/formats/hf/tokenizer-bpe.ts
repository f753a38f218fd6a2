/**
 * Byte-level BPE (src/model/bpe-tokenizer.ts) as a Hugging Face tokenizer.json, the
 * layout GPT-2's tokenizer.json uses (huggingface/tokenizers serialisation): a `BPE`
 * model with the vocab (token text → id) and the merges in rank order ("left right":
 * byte-level text has no spaces), a `ByteLevel` pre-tokenizer (GPT-2's regex, no prefix
 * space) and a `ByteLevel` decoder; the special tokens are `added_tokens`, matched
 * before the model runs. Reading checks the lab's id layout (specials 0..7, the 256
 * byte tokens in byte order at 8..263, merged tokens after) and rebuilds the tokenizer.
 */
import { BpeTokenizer, BYTE_OFFSET, SPECIAL_TOKENS, bytesToUnicode } from "../../model/index.js";
import { fail, ok, type Result } from "../result.js";
import { tokenizerJson } from "./added-tokens.js";

const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: true, use_regex: true };

export function toBpeTokenizerJson(tok: BpeTokenizer): Record<string, unknown> {
  return tokenizerJson(tok, {
    preTokenizer: { type: "ByteLevel", ...BYTE_LEVEL },
    decoder: { type: "ByteLevel", ...BYTE_LEVEL },
    unkToken: null, // every byte has a token: nothing is unknown
    merges: tok.merges.map(([a, b]) => `${a} ${b}`),
  });
}

/** Whether the file's pre-tokenizer is ByteLevel (then it must be a byte-level BPE). */
export function isByteLevelJson(json: unknown): boolean {
  const pre = (json as { pre_tokenizer?: { type?: unknown } } | null)?.pre_tokenizer;
  return !!pre && typeof pre === "object" && pre.type === "ByteLevel";
}

export function readBpeTokenizerJson(json: unknown, file = "tokenizer.json"): Result<BpeTokenizer> {
  const bad = (message: string) =>
    fail({ code: "bad_tokenizer" as const, file, message: `${message}; the lab reads byte-level BPE in its own layout (write one with \`ftledger lab tokenizer\`)` });
  const model = (json as { model?: { type?: unknown; vocab?: unknown; merges?: unknown } } | null)?.model;
  if (!model || model.type !== "BPE") return bad(`expected a "BPE" model, got ${JSON.stringify(model?.type)}`);
  const pre = (json as { pre_tokenizer: Record<string, unknown> }).pre_tokenizer;
  if (pre.add_prefix_space === true) return bad(`pre_tokenizer.add_prefix_space is true (the lab's BPE adds no prefix space)`);
  if (pre.use_regex === false) return bad(`pre_tokenizer.use_regex is false (the lab's BPE splits with GPT-2's regex)`);
  const vocab = model.vocab;
  if (typeof vocab !== "object" || vocab === null || Array.isArray(vocab)) return bad(`"model.vocab" is missing`);
  const byId: string[] = [];
  for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= 2 ** 21) return bad(`token ${JSON.stringify(token)} has id ${JSON.stringify(id)}`);
    if (byId[id] !== undefined) return bad(`id ${id} is given to ${JSON.stringify(byId[id])} and ${JSON.stringify(token)}`);
    byId[id] = token;
  }
  const bytes = bytesToUnicode();
  for (let i = 0; i < byId.length; i++) {
    const expected = i < BYTE_OFFSET ? SPECIAL_TOKENS[i] : i < BYTE_OFFSET + 256 ? bytes[i - BYTE_OFFSET] : undefined;
    if (byId[i] === undefined) return bad(`no token has id ${i} (ids must run 0..${byId.length - 1} without gaps)`);
    if (expected !== undefined && byId[i] !== expected) return bad(`id ${i} is ${JSON.stringify(byId[i])}, the lab's layout puts ${JSON.stringify(expected)} there`);
  }
  if (byId.length < BYTE_OFFSET + 256) return bad(`vocab has ${byId.length} tokens, fewer than the 8 special and 256 byte tokens`);
  if (!Array.isArray(model.merges)) return bad(`"model.merges" is not a list`);
  const merges: [string, string][] = [];
  for (const [i, m] of model.merges.entries()) {
    const pair = typeof m === "string" ? m.split(" ") : m;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((p) => typeof p !== "string")) return bad(`merge ${i} is ${JSON.stringify(m)}, not two tokens`);
    merges.push([pair[0] as string, pair[1] as string]);
  }
  try {
    return ok(new BpeTokenizer(byId.slice(BYTE_OFFSET + 256), merges));
  } catch (e) {
    return bad((e as Error).message);
  }
}
