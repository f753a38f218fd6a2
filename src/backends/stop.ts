/**
 * Stop strings on token-level generation: the decoded text is cut before the first stop
 * string, and only the tokens that text still covers keep their log-probabilities.
 */
import type { TokenIds } from "./language-model.js";

export function cutAtStop(decode: (ids: TokenIds) => string, tokens: readonly number[], stop: readonly string[]): { text: string; kept: number } {
  let text = decode(tokens);
  let kept = tokens.length;
  const at = Math.min(...stop.map((x) => text.indexOf(x)).filter((i) => i >= 0));
  if (Number.isFinite(at)) {
    text = text.slice(0, at);
    while (kept > 0 && decode(tokens.slice(0, kept)).length > at) kept--;
  }
  return { text, kept };
}
