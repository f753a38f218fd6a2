/**
 * Token healing for generation (after Guidance's token healing; Lundberg 2023, "The Art of
 * Prompt Design: Prompt Boundaries and Token Healing"). A tokenizer that merges characters
 * (byte-level BPE) attaches a space to the word after it (" farmer" is one token), so a
 * prompt that ends in whitespace ends in a lone whitespace token: a position the model
 * rarely saw in training, after which it writes poorly. Healing backs the prompt up:
 *
 * 1. The prompt's trailing whitespace W is cut off, and the rest is tokenised.
 * 2. The first generated token is constrained to tokens whose text starts with W, or whose
 *    text is a non-empty prefix of W (a W longer than one token), renormalised over them.
 * 3. Generation continues normally; the text returned is what follows the original prompt
 *    (W is stripped from the front of the generated text), and stop strings and the token
 *    budget count from there.
 *
 * Character tokenizers (one token per character, no merges: the lab's) are never healed:
 * a lone space there is the ordinary position. This file holds the pure parts; the
 * builtin and gguf backends apply them (the openai backend cannot: the server tokenises).
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
 * Ids whose text starts with `w`, or is a non-empty prefix of it, in ascending order.
 * `texts[id]` is the token's decoded text (" farmer", not byte-level "Ġfarmer").
 */
export function allowedFirstTokens(texts: readonly string[], w: string): number[] {
  if (w.length === 0) throw new Error("allowedFirstTokens: the healed whitespace is empty");
  const out: number[] = [];
  texts.forEach((t, id) => {
    if (t.length > 0 && (t.startsWith(w) || w.startsWith(t))) out.push(id);
  });
  return out;
}

/**
 * The generated text as it reads after the original prompt: `w` stripped from its front.
 * When the model's text does not start with all of `w` (its first token was a shorter
 * prefix of `w` and it went on otherwise), the part it shares with `w` is stripped.
 */
export function stripHealed(text: string, w: string): string {
  let n = 0;
  while (n < w.length && n < text.length && text[n] === w[n]) n++;
  return text.slice(n);
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

/** Whether a Hugging Face tokenizer.json merges characters: a BPE model with a non-empty `merges` list. */
export function tokenizerJsonMerges(source: string): boolean {
  try {
    const model = (JSON.parse(source) as { model?: { merges?: unknown } }).model;
    return Array.isArray(model?.merges) && model.merges.length > 0;
  } catch {
    return false;
  }
}
