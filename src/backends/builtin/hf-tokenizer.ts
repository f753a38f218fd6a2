/**
 * A model folder's tokenizer through Hugging Face's own tokenizer implementation
 * (`@huggingface/tokenizers`, the tokenizers library in JS), and its chat template
 * through `@huggingface/jinja`: the same files transformers reads, read the same way.
 */
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { formatTextError, readTextFile, TEXT_LIMITS, type TextResult } from "../../formats/index.js";
import type { ChatMessage, TokenIds, Vocabulary } from "../language-model.js";
import { memoEncode } from "./encode-memo.js";

export interface FolderTokenizer extends Vocabulary {
  /** The tokenizer.json text, for the model's content id. */
  readonly source: string;
  readonly bosId: number | undefined;
  /** The chat template's source text, when the folder has one. */
  readonly templateSource: string | undefined;
  readonly eosIds: number[];
  /** Encode with the tokenizer's own special tokens (e.g. a BOS its post-processor adds). */
  encodeWithSpecial(text: string): number[];
  /** The chat template applied to messages, ending with the assistant's turn opening. */
  applyChatTemplate(messages: ChatMessage[]): string;
}

type Json = Record<string, unknown>;

/**
 * A model folder's file as strict UTF-8 text (formats' text reader). NOTE: no lone-surrogate
 * check on the parsed JSON here: a tokenizer's vocabulary is the model's, not the user's
 * text, and a piece that is half a character is legal there; refusing it would refuse the model.
 */
function readModelText(path: string): Promise<TextResult<string>> {
  return readTextFile(path, { limit: TEXT_LIMITS.modelJson });
}

/** An optional JSON file of the folder: null when absent, an Error naming the file when unreadable or not JSON. */
async function readJson(path: string, what: string): Promise<Json | null> {
  const text = await readModelText(path);
  if (!text.ok && text.error.code === "no_such_file") return null;
  if (!text.ok) throw new Error(`the ${what}: ${formatTextError(text.error)}`);
  try {
    return JSON.parse(text.value) as Json;
  } catch (e) {
    throw new Error(`${path}: the ${what} is not valid JSON (${(e as Error).message}); re-export the model folder.`);
  }
}

/** A token given as a string or as {content: string} in tokenizer_config.json. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Json).content === "string") return (v as Json).content as string;
  return undefined;
}

/**
 * The library lays tokens out in one array indexed by id, so one id of 10^9 costs a billion
 * slots (measured: 70 s to load); real vocabularies stay under a million ids.
 */
const MAX_TOKEN_ID = 2 ** 24 - 1;

/** The first token id in tokenizer.json that is not an integer in [0, MAX_TOKEN_ID], described; null when all are. */
function badTokenId(json: unknown): string | null {
  if (json === null || typeof json !== "object") return null; // the library refuses it, with its own message
  const isId = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TOKEN_ID;
  const want = `not an integer from 0 to ${MAX_TOKEN_ID}`;
  const model = (json as Json).model;
  const vocab = model !== null && typeof model === "object" ? (model as Json).vocab : undefined;
  if (vocab !== null && typeof vocab === "object" && !Array.isArray(vocab)) {
    for (const [token, id] of Object.entries(vocab)) if (!isId(id)) return `model.vocab gives token ${JSON.stringify(token)} the id ${JSON.stringify(id)}, ${want}`;
  }
  const added = (json as Json).added_tokens;
  if (Array.isArray(added)) {
    for (const a of added) {
      if (a !== null && typeof a === "object" && !isId((a as Json).id)) return `added token ${JSON.stringify((a as Json).content)} has the id ${JSON.stringify((a as Json).id)}, ${want}`;
    }
  }
  return null;
}

export async function loadFolderTokenizer(dir: string): Promise<FolderTokenizer> {
  const tokPath = join(dir, "tokenizer.json");
  const read = await readModelText(tokPath);
  if (!read.ok && read.error.code === "no_such_file") {
    throw new Error(`${tokPath}: missing; the builtin backend needs the model's tokenizer.json (Hugging Face tokenizers format).`);
  }
  if (!read.ok) throw new Error(formatTextError(read.error));
  const source = read.value;
  let json: Json;
  try {
    json = JSON.parse(source) as Json;
  } catch (e) {
    throw new Error(`${tokPath}: not valid JSON (${(e as Error).message}); re-export the model folder.`);
  }
  const config = (await readJson(join(dir, "tokenizer_config.json"), "tokenizer config")) ?? {};
  const generation = (await readJson(join(dir, "generation_config.json"), "generation config")) ?? {};
  // ids index the embedding: the library builds a vocab that maps a token to "BPE" or -1 (and encodes to it), or to 10^9
  const badId = badTokenId(json);
  if (badId !== null) throw new Error(`${tokPath}: ${badId}; re-export the model folder.`);
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new Error(`${tokPath}: the tokenizer could not be built (${(e as Error).message}); check that it is a Hugging Face tokenizer.json.`);
  }
  const idOf = (t: string | undefined) => (t === undefined ? undefined : tok.token_to_id(t));
  const bosId = typeof generation.bos_token_id === "number" ? generation.bos_token_id : idOf(tokenString(config.bos_token));
  const eosRaw = generation.eos_token_id;
  const eosIds = Array.isArray(eosRaw)
    ? eosRaw.filter((x): x is number => typeof x === "number")
    : typeof eosRaw === "number" ? [eosRaw] : [idOf(tokenString(config.eos_token))].filter((x): x is number => x !== undefined);
  const configPath = join(dir, "tokenizer_config.json");
  let template: Template | null = null;
  try {
    template = typeof config.chat_template === "string" ? new Template(config.chat_template) : null;
  } catch (e) {
    // @huggingface/jinja throws a bare TypeError or SyntaxError that names no file
    throw new Error(`${configPath}: the chat_template does not parse (${(e as Error).message}); fix the template, or remove chat_template to send plain prompts.`);
  }
  const size = tok.get_vocab(true).size;
  const texts: (string | undefined)[] = new Array(size);
  const withSpecial = memoEncode((text) => tok.encode(text, { add_special_tokens: true }).ids);

  return {
    source,
    templateSource: typeof config.chat_template === "string" ? config.chat_template : undefined,
    bosId,
    eosIds,
    size,
    encode: memoEncode((text) => tok.encode(text, { add_special_tokens: false }).ids),
    encodeWithSpecial: withSpecial,
    encodePrompt: withSpecial,
    // @huggingface/tokenizers refuses an empty id list; an empty reply (a model that ends at once) decodes to ""
    decode: (ids: TokenIds) => (ids.length === 0 ? "" : tok.decode([...ids], { skip_special_tokens: false })),
    // the token's text as decoded (" 5"), not its vocabulary entry ("Ġ5" in a byte-level BPE): what
    // llama.cpp's detokenize and a server's logprobs report, so the three backends name tokens alike
    tokenText: (id) => (texts[id] ??= id >= 0 && id < size ? tok.decode([id], { skip_special_tokens: false }) : ""),
    applyChatTemplate(messages) {
      if (!template) throw new Error(`${configPath}: the model has no chat_template; send a plain prompt instead of messages.`);
      try {
        return template.render({
          messages, add_generation_prompt: true,
          bos_token: tokenString(config.bos_token) ?? "", eos_token: tokenString(config.eos_token) ?? "",
        });
      } catch (e) {
        // a template may refuse messages on purpose (raise_exception); either way, say whose template it was
        throw new Error(`${configPath}: the chat_template failed on these messages (${(e as Error).message}); check the messages' roles and order, or send a plain prompt.`);
      }
    },
  };
}
