/**
 * The lab's tokenizers as Hugging Face files: the character tokenizer (below) and
 * byte-level BPE (./tokenizer-bpe.ts, GPT-2's layout).
 *
 * tokenizer.json (huggingface/tokenizers serialisation): a `BPE` model whose vocab is
 * every token string → id and whose merges are empty, with no normalizer and no
 * pre-tokenizer. BPE starts from single characters and, with no merges, never joins
 * them, so any tokenizers implementation yields exactly one token per character;
 * characters outside the vocab become `unk_token`. Special tokens are `added_tokens`
 * (`special: true`), which tokenizers match before the model runs. The `Fuse` decoder
 * concatenates tokens (the default decoder would join them with spaces).
 *
 * NOTE: HF splits text into Unicode code points; CharTokenizer iterates UTF-16 code
 * units, so a character outside the BMP is one <unk> there and two here.
 */
import { CharTokenizer, SPECIAL_TOKENS, type BpeTokenizer, type ModelConfig, type Tokenizer } from "../../model/index.js";
import { fail, ok, type Result } from "../result.js";
import { tokenFlags, tokenizerJson } from "./added-tokens.js";
import { isByteLevelJson, readBpeTokenizerJson, toBpeTokenizerJson } from "./tokenizer-bpe.js";

/**
 * Chat template (Jinja, as transformers' `apply_chat_template` runs it):
 * `<bos><|system|>…<|end|><|user|>…<|end|><|assistant|>…<|end|>` and, for generation,
 * a trailing `<|assistant|>`. No newlines are added around role markers. Kept to plain
 * Jinja (no raise_exception) so every template engine (transformers, llama.cpp,
 * @huggingface/jinja) runs it; roles are expected to be system, user or assistant.
 */
export const CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}" +
  "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";


export function toTokenizerJson(tok: Tokenizer): Record<string, unknown> {
  if (tok.kind === "bpe") return toBpeTokenizerJson(tok as BpeTokenizer);
  return tokenizerJson(tok, { preTokenizer: null, decoder: { type: "Fuse" }, unkToken: tok.tokens[tok.unk], merges: [] });
}

export function toTokenizerConfig(tok: Tokenizer, c: ModelConfig): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const s of SPECIAL_TOKENS) decoder[String(tok.idOf(s))] = tokenFlags(s);
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    bos_token: tok.tokens[tok.bos],
    eos_token: tok.tokens[tok.eos],
    pad_token: tok.tokens[tok.pad],
    unk_token: tok.tokens[tok.unk],
    additional_special_tokens: SPECIAL_TOKENS.filter((s) => s.startsWith("<|")),
    added_tokens_decoder: decoder,
    add_bos_token: false, // the chat template and the engine's data add <bos> themselves
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: c.contextLength,
    chat_template: CHAT_TEMPLATE,
  };
}

/** generation_config.json: generation stops at <eos> or at the end of a chat turn. */
export function toGenerationConfig(tok: Tokenizer): Record<string, unknown> {
  return { bos_token_id: tok.bos, eos_token_id: [tok.eos, tok.idOf("<|end|>")], pad_token_id: tok.pad };
}

/**
 * Read tokenizer.json back: a byte-level BPE (ByteLevel pre-tokenizer) in the lab's layout
 * as a BpeTokenizer, else the character tokenizer, checked to be exactly it (same vocab
 * ids, no merges).
 */
export function readTokenizerJson(json: unknown, file = "tokenizer.json"): Result<Tokenizer> {
  const bad = (message: string) => fail({ code: "bad_tokenizer", file, message });
  if (isByteLevelJson(json)) return readBpeTokenizerJson(json, file);
  const model = (json as { model?: { type?: unknown; vocab?: unknown; merges?: unknown } } | null)?.model;
  if (!model || model.type !== "BPE") return bad(`expected a "BPE" model, got ${JSON.stringify(model?.type)}`);
  if (!Array.isArray(model.merges) || model.merges.length) return bad("the character tokenizer has no merges, this file has some, and it is not a byte-level BPE (its pre_tokenizer is not ByteLevel); the lab reads its own two kinds only — train a BPE with `ftledger lab tokenizer`");
  const vocab = model.vocab;
  if (typeof vocab !== "object" || vocab === null) return bad(`"model.vocab" is missing`);
  const tok = new CharTokenizer();
  const entries = Object.entries(vocab as Record<string, unknown>);
  if (entries.length !== tok.size) return bad(`vocab has ${entries.length} tokens, the character tokenizer ${tok.size}`);
  for (const [token, id] of entries) {
    if (tok.tokens[id as number] !== token) return bad(`token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, the character tokenizer gives it a different id`);
  }
  return ok(tok);
}
