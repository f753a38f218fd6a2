/**
 * Canonical JSON and the cache key.
 *
 * Two requests that mean the same thing must get the same key: object keys are
 * sorted (so `{ maxTokens, temperature }` and `{ temperature, maxTokens }` agree) and
 * `undefined` properties are dropped (so `{ seed: undefined }` equals `{}`), as
 * RFC 8785 (JSON Canonicalization Scheme) does for key order. Arrays keep their order.
 *
 * NOTE: plain JSON turns ±Infinity and NaN into `null`, and a log-probability of
 * -Infinity (a token of probability 0) is a real value here. `toCacheJson` tags
 * non-finite numbers as `{ "$nonfinite": "-Infinity" }` and `fromCacheJson` restores
 * them, so a cached response reads back identical to the one that was stored.
 */
import { sha256Text } from "../../random/index.js";

const NONFINITE = "$nonfinite";

/** A JSON-safe copy: sorted keys, undefined dropped, typed arrays as arrays, non-finite numbers tagged. */
function normalise(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : { [NONFINITE]: String(value) };
  if (value === null || typeof value !== "object") return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, normalise);
  }
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalise(v)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[k];
    // a request's AbortSignal says when to stop the call, not what is asked: never part of the key
    if (v === undefined || typeof v === "function" || v instanceof AbortSignal) continue;
    out[k] = normalise(v);
  }
  return out;
}

/** JSON with sorted keys and undefined dropped: the same text for the same meaning. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

/** Parse JSON written by `canonicalJson`, restoring tagged non-finite numbers. */
export function fromCacheJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === NONFINITE) return Number((v as Record<string, string>)[NONFINITE]);
    }
    return v;
  });
}

/** The LanguageModel calls the cache knows; a batch form shares its single form's kind. */
export type RequestKind = "generate" | "score" | "nextTokenLogprobs" | "scoreTokens";

/**
 * The version of the rule that turns a request of each kind into tokens. A change that alters
 * responses bumps it, so the cache never answers with what the current rule would not give:
 * scores 2 = one boundary rule for every backend (../boundary.ts; before it, gguf and openai
 * split by text offsets). Version 1 adds nothing to the key, so those keys are as they were.
 */
const RULE_VERSION: Record<RequestKind, number> = { generate: 1, score: 2, nextTokenLogprobs: 1, scoreTokens: 1 };

/** sha256 hex of the canonical JSON of { modelId, kind, request } (and the kind's rule version after 1). */
export function requestKey(modelId: string, kind: RequestKind, request: unknown): string {
  const rule = RULE_VERSION[kind];
  return sha256Text(canonicalJson({ modelId, kind, request, ...(rule > 1 ? { rule } : {}) }));
}
