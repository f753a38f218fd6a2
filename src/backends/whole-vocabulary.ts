/**
 * A scored position over the whole vocabulary (`scoreTokens` with topK ≥ V, as
 * knowledge.drift asks): its numbers as typed arrays in `vocabulary`, and `top` built from
 * them only when read. Why: V `{id, token, logprob}` objects per position cost more than a
 * small model's forward pass, and drift reads only the arrays. Shared by the backends that
 * have the whole distribution at hand (builtin, the gguf direct scorer).
 */
import type { PositionScore } from "./language-model.js";

/**
 * `logprobs[id]` for every id and `ranking` (ids, most likely first, ties to the lowest id).
 * `top` is an own enumerable accessor, so JSON and copies have it; `vocabulary` is not
 * enumerable: typed arrays have no JSON form (a cached copy falls back to `top`).
 */
export function wholeVocabularyPosition(id: number, logprobs: Float64Array, ranking: Int32Array, tokenText: (id: number) => string): PositionScore {
  let top: PositionScore["top"] | undefined;
  const pos = {
    id,
    token: tokenText(id),
    logprob: logprobs[id],
    get top(): PositionScore["top"] {
      return (top ??= entries(ranking, logprobs, tokenText));
    },
    set top(value: PositionScore["top"]) {
      top = value;
    },
  };
  return Object.defineProperty(pos, "vocabulary", { value: { logprobs, ranking } });
}

/** `{id, token, logprob}` for each id of `order`, in order (a plain loop: Array.from with a mapper cost several times more per entry). */
export function entries(order: ArrayLike<number>, lp: ArrayLike<number>, tokenText: (id: number) => string): PositionScore["top"] {
  const top: PositionScore["top"] = new Array(order.length);
  for (let r = 0; r < order.length; r++) {
    const id = order[r];
    top[r] = { id, token: tokenText(id), logprob: lp[id] };
  }
  return top;
}
