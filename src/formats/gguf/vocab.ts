/**
 * The character tokenizer as GGUF `tokenizer.ggml.*` metadata.
 *
 * llama.cpp loads a `gpt2` (byte-level BPE) vocab with an empty merges list as a
 * character-level tokenizer (measured: `none` aborts the process, `llama` needs 256
 * byte tokens). Byte-level BPE stores token text through GPT-2's byte→unicode table
 * (Radford et al. 2019, openai/gpt-2 encoder.py `bytes_to_unicode`): printable bytes
 * map to themselves, the rest to U+0100 + n, so " " → "Ġ", "\n" → "Ċ", "\t" → "ĉ".
 * Special tokens keep their text and are CONTROL tokens, as convert_hf_to_gguf.py
 * writes added special tokens.
 */
import { SPECIAL_TOKENS, type CharTokenizer } from "../../model/index.js";

/** llama.cpp `llama_token_type` values (tokenizer.ggml.token_type). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

let table: string[] | null = null;

/** GPT-2's byte → unicode character table (256 entries). */
export function bytesToUnicode(): readonly string[] {
  if (table) return table;
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const t: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) t[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return (table = t);
}

/** Token text as a byte-level BPE vocab stores it: each UTF-8 byte through the table. */
export function byteLevelText(token: string): string {
  const t = bytesToUnicode();
  return [...Buffer.from(token, "utf8")].map((b) => t[b]).join("");
}

export interface GgufVocab {
  tokens: string[];
  tokenTypes: number[];
}

/**
 * Tokens in id order, padded with `<unused_N>` control tokens up to `vocabSize` (the
 * embedding's row count, which llama.cpp requires n_vocab to equal).
 */
export function ggufVocab(tok: CharTokenizer, vocabSize: number): GgufVocab {
  if (vocabSize < tok.size) throw new Error(`ggufVocab: vocabSize ${vocabSize} < tokenizer size ${tok.size}`);
  const special = new Set<string>(SPECIAL_TOKENS);
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  tok.tokens.forEach((t) => {
    tokens.push(special.has(t) ? t : byteLevelText(t));
    tokenTypes.push(special.has(t) ? TOKEN_TYPE.control : TOKEN_TYPE.normal);
  });
  for (let i = tok.size; i < vocabSize; i++) {
    tokens.push(`<unused_${i - tok.size}>`);
    tokenTypes.push(TOKEN_TYPE.control);
  }
  return { tokens, tokenTypes };
}
