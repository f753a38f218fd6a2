/**
 * What both lab tokenizers' tokenizer.json files share (huggingface/tokenizers
 * serialisation): the special tokens as `added_tokens`, and the `BPE` model with its vocab
 * (token text → id). The character tokenizer is a BPE without merges; the byte-level one
 * adds its merges, a ByteLevel pre-tokenizer and decoder.
 */
import { SPECIAL_TOKENS, type Tokenizer } from "../../model/index.js";

/**
 * A special token as huggingface/tokenizers serialises it: an `added_tokens` entry of
 * tokenizer.json (with its `id`), and tokenizer_config.json's `added_tokens_decoder`
 * (the same fields without `id`).
 */
export function tokenFlags(content: string) {
  return { content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** The parts in which the two lab tokenizers' files differ. */
export interface TokenizerJsonParts {
  preTokenizer: Record<string, unknown> | null;
  decoder: Record<string, unknown>;
  unkToken: string | null;
  /** "left right" pairs in rank order (none for the character tokenizer). */
  merges: string[];
}

/** tokenizer.json of a lab tokenizer: its special tokens, and a BPE model over its vocab. */
export function tokenizerJson(tok: Tokenizer, parts: TokenizerJsonParts): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  tok.tokens.forEach((t, i) => (vocab[t] = i));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((s) => ({ id: tok.idOf(s), ...tokenFlags(s) })),
    normalizer: null,
    pre_tokenizer: parts.preTokenizer,
    post_processor: null,
    decoder: parts.decoder,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: parts.unkToken,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: parts.merges,
    },
  };
}
