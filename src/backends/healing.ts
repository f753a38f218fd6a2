/**
 * Token healing for generation (after Guidance's token healing; Lundberg 2023, "The Art of
 * Prompt Design: Prompt Boundaries and Token Healing"). A tokenizer that merges characters
 * (byte-level BPE) attaches a space to the word after it (" farmer" is one token), so a
 * prompt that ends in whitespace ends in a lone whitespace token: a position the model
 * rarely saw in training, after which it writes poorly. Healing backs the prompt up:
 *
 * 1. The prompt's trailing whitespace W is cut off, and the rest is tokenised.
 * 2. The first generated token is constrained to tokens whose text starts with W,
 *    renormalised over them. (Not to tokens that spell only part of W: nothing would then
 *    make the model write the rest, and the text would not follow the original prompt.)
 *    When no token starts with W, the prompt is not healed.
 * 3. Generation continues normally; the text returned is what follows the original prompt
 *    (W is stripped from the front of the generated text), and stop strings and the token
 *    budget count from there.
 *
 * Only byte-level BPE tokenizers (GPT-2's layout: merges, a ByteLevel decoder) are healed.
 * Character tokenizers (the lab's) have no merges: a lone space there is the ordinary
 * position. SentencePiece-style BPE (Llama 2's "▁" tokens) decodes one token without its
 * leading space, so the allowed set cannot be read from its token texts. Chat prompts are
 * never healed: the whitespace a chat template ends with is the position the model was
 * trained to answer from. This file holds the pure parts; the builtin and gguf backends
 * apply them (the openai backend cannot: the server tokenises).
 */

/** The prompt split at its trailing whitespace: `head` is tokenised, `w` is healed. */
export interface HealSplit {
  head: string;
  w: string;
}

/** The prompt's trailing whitespace; null when there is none or the prompt is whitespace only (nothing to back up to). */
export function splitTrailingWhitespace(prompt: string): HealSplit | null {
  const head = prompt.trimEnd();
  if (head.length === prompt.length || head.length === 0) return null;
  return { head, w: prompt.slice(head.length) };
}

/**
 * Ids whose text starts with `w`, in ascending order.
 * `texts[id]` is the token's decoded text (" farmer", not byte-level "Ġfarmer").
 */
export function allowedFirstTokens(texts: readonly string[], w: string): number[] {
  if (w.length === 0) throw new Error("allowedFirstTokens: the healed whitespace is empty");
  const out: number[] = [];
  texts.forEach((t, id) => {
    if (t.startsWith(w)) out.push(id);
  });
  return out;
}

/** The generated text as it reads after the original prompt: `w` stripped from its front (the first token starts with it). */
export function stripHealed(text: string, w: string): string {
  return text.startsWith(w) ? text.slice(w.length) : text;
}

/** A healed prompt: the text to tokenise, the whitespace cut off, and the first token's allowed ids. */
export interface Heal extends HealSplit {
  allowed: number[];
}

/** Whitespace tails whose allowed sets a Healer keeps (a server's clients choose the prompts; each set costs a vocabulary scan). */
const MAX_CACHED_TAILS = 64;

/** Token healing for one model: the allowed first tokens per trailing whitespace, computed on first use. */
export class Healer {
  private readonly byW = new Map<string, number[]>();
  private texts?: readonly string[];

  /** `texts()`: every id's decoded text, read once when first needed. */
  constructor(private readonly pieceTexts: () => readonly string[]) {}

  /** The healed prompt, or null: no trailing whitespace, or no token starts with it. */
  heal(prompt: string): Heal | null {
    const split = splitTrailingWhitespace(prompt);
    if (!split) return null;
    let allowed = this.byW.get(split.w);
    if (!allowed) {
      this.texts ??= this.pieceTexts();
      allowed = allowedFirstTokens(this.texts, split.w);
      if (this.byW.size >= MAX_CACHED_TAILS) this.byW.clear();
      this.byW.set(split.w, allowed);
    }
    return allowed.length === 0 ? null : { ...split, allowed };
  }
}

/**
 * Log-probabilities renormalised over `allowed` (-Infinity elsewhere): log p(id) − log Σ_{a ∈ allowed} p(a).
 * The first token of a healed generation is drawn from these, and this is the logprob it reports.
 */
export function renormaliseOver(lp: Float64Array, allowed: readonly number[]): Float64Array {
  let max = -Infinity;
  for (const id of allowed) if (lp[id] > max) max = lp[id];
  let sum = 0;
  for (const id of allowed) sum += Math.exp(lp[id] - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(lp.length).fill(-Infinity);
  for (const id of allowed) out[id] = lp[id] - logZ;
  return out;
}

/** A tokenizer.json component that is, or is a Sequence containing, `type`. */
function hasComponent(c: unknown, type: string): boolean {
  if (c === null || typeof c !== "object") return false;
  const o = c as { type?: unknown; decoders?: unknown; pretokenizers?: unknown };
  if (o.type === type) return true;
  const parts = [o.decoders, o.pretokenizers].find(Array.isArray) as unknown[] | undefined;
  return parts?.some((p) => hasComponent(p, type)) ?? false;
}

/**
 * Whether generation with this Hugging Face tokenizer.json is healed: a byte-level BPE, i.e.
 * a BPE model with a non-empty `merges` list and a ByteLevel decoder (so one token decodes to
 * its text with its spaces).
 */
export function tokenizerJsonHealable(source: string): boolean {
  try {
    const json = JSON.parse(source) as { model?: { merges?: unknown }; decoder?: unknown };
    return Array.isArray(json.model?.merges) && json.model.merges.length > 0 && hasComponent(json.decoder, "ByteLevel");
  } catch {
    return false;
  }
}
