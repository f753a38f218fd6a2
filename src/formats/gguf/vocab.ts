/**
 * The lab's tokenizers as GGUF `tokenizer.ggml.*` metadata (model "gpt2": byte-level BPE).
 *
 * Byte-level BPE stores token text through GPT-2's byte→unicode table (Radford et al.
 * 2019, openai/gpt-2 encoder.py `bytes_to_unicode`; src/model/byte-level.ts): printable
 * bytes map to themselves, the rest to U+0100 + n, so " " → "Ġ", "\n" → "Ċ", "\t" → "ĉ".
 * A BpeTokenizer's tokens are already in that form and its merges go to
 * `tokenizer.ggml.merges` ("left right"); llama.cpp's "gpt-2" pre-tokenizer splits text
 * with GPT-2's pattern, as the lab's BPE does (test/backends/llamacpp/bpe.test.ts).
 * The character tokenizer is a `gpt2` vocab with no merges, which llama.cpp loads as a
 * character-level tokenizer (measured: `none` aborts the process, `llama` needs 256
 * byte tokens); its pre-tokenizer stays "default" (with no merges the split does not matter).
 * Special tokens keep their text and are CONTROL tokens, as convert_hf_to_gguf.py
 * writes added special tokens.
 */
import { byteLevelText, bytesToUnicode, type BpeTokenizer, type Tokenizer } from "../../model/index.js";

export { byteLevelText, bytesToUnicode };

/** llama.cpp `llama_token_type` values (tokenizer.ggml.token_type). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** llama.cpp's name for GPT-2's pre-tokenizer (llama-vocab.cpp maps "gpt-2" to LLAMA_VOCAB_PRE_TYPE_GPT2). */
export const GGUF_PRE_GPT2 = "gpt-2";

/** `tokenizer.ggml.pre` and `tokenizer.ggml.merges` for a tokenizer. */
export function ggufMerges(tok: Tokenizer): { pre: string; merges: string[] } {
  if (tok.kind === "bpe") return { pre: GGUF_PRE_GPT2, merges: (tok as BpeTokenizer).merges.map(([a, b]) => `${a} ${b}`) };
  return { pre: "default", merges: [] };
}

export interface GgufVocab {
  tokens: string[];
  tokenTypes: number[];
}

/**
 * Tokens in id order, padded with `<unused_N>` control tokens up to `vocabSize` (the
 * embedding's row count, which llama.cpp requires n_vocab to equal).
 */
export function ggufVocab(tok: Tokenizer, vocabSize: number): GgufVocab {
  if (vocabSize < tok.size) throw new Error(`ggufVocab: vocabSize ${vocabSize} < tokenizer size ${tok.size}`);
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  tok.tokens.forEach((t, id) => {
    const special = tok.isSpecial(id);
    // BPE tokens are byte-level text already; the character tokenizer's are plain characters
    tokens.push(special || tok.kind === "bpe" ? t : byteLevelText(t));
    tokenTypes.push(special ? TOKEN_TYPE.control : TOKEN_TYPE.normal);
  });
  for (let i = tok.size; i < vocabSize; i++) {
    tokens.push(`<unused_${i - tok.size}>`);
    tokenTypes.push(TOKEN_TYPE.control);
  }
  return { tokens, tokenTypes };
}
