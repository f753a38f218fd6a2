/**
 * Reading node-llama-cpp's next-token probabilities (a `Map<Token, number>` over the whole
 * vocabulary, from `controlledEvaluate` with `generateNext.probabilities`) for only what a
 * request needs: one token's log-prob and whether it is the argmax, the argmax alone, or
 * the top k. NOTE: converting every map to a log-prob array (V logs and an allocation per
 * position) was most of the backend's own cost on top of llama.cpp's; these read the map
 * once without allocating.
 *
 * Ranking is by probability, ties to the lowest id, as the engine's argmax and top-k rank
 * log-probs (log is monotonic, so the order is the same).
 */
import type { Token } from "node-llama-cpp";
import type { Runtime } from "./runtime.js";

type Probs = Map<Token, number> | undefined;

/** The map, checked to cover the full vocabulary (anything else is a bug, reported as one). */
function full(rt: Runtime, probs: Probs, where: string): Map<Token, number> {
  if (!probs || probs.size !== rt.vocabSize) {
    throw new Error(`${rt.file}: llama.cpp returned ${probs?.size ?? 0} next-token probabilities at ${where}, expected the full vocabulary of ${rt.vocabSize}. This is a bug in ftledger's llamacpp backend; please report it.`);
  }
  return probs;
}

/** `a` ranks before `b`: higher probability, or equal and a lower id. */
const before = (pa: number, a: number, pb: number, b: number): boolean => pa > pb || (pa === pb && a < b);

/** The most likely token (ties: lowest id) and its log-prob. */
export function greedyOf(rt: Runtime, probs: Probs, where: string): { id: number; logprob: number } {
  let best = -1;
  let bestP = -1;
  for (const [t, p] of full(rt, probs, where)) {
    if (best < 0 || before(p, t, bestP, best)) {
      best = t;
      bestP = p;
    }
  }
  return { id: best, logprob: Math.log(bestP) };
}

/** log p(id) and whether `id` is the argmax (ties: lowest id). */
export function tokenScore(rt: Runtime, probs: Probs, id: number, where: string): { logprob: number; isGreedy: boolean } {
  const map = full(rt, probs, where);
  const p = map.get(id as Token) ?? 0;
  let isGreedy = true;
  for (const [t, q] of map) {
    if (before(q, t, p, id)) {
      isGreedy = false;
      break;
    }
  }
  return { logprob: Math.log(p), isGreedy };
}

/** The k most likely tokens (all of them when k is undefined or ≥ V), most likely first. */
export function ranked(rt: Runtime, probs: Probs, k: number | undefined, where: string): { id: number; logprob: number }[] {
  const map = full(rt, probs, where);
  const n = k === undefined ? map.size : Math.max(0, Math.min(k, map.size));
  if (n === 0) return [];
  let top: [number, number][];
  if (n * 8 >= map.size) {
    top = Array.from(map, ([t, p]): [number, number] => [t, p]);
    top.sort((a, b) => (before(a[1], a[0], b[1], b[0]) ? -1 : 1));
    top.length = n;
  } else {
    // a sorted window of the best n so far: one pass, no full sort
    top = [];
    for (const [t, p] of map) {
      if (top.length === n && !before(p, t, top[n - 1][1], top[n - 1][0])) continue;
      let at = top.length === n ? n - 1 : top.length;
      while (at > 0 && before(p, t, top[at - 1][1], top[at - 1][0])) {
        top[at] = top[at - 1];
        at--;
      }
      top[at] = [t, p];
    }
  }
  return top.map(([id, p]) => ({ id, logprob: Math.log(p) }));
}

/** The whole distribution as log-probs indexed by token id (what the engine's sampler takes). */
export function logprobsOf(rt: Runtime, probs: Probs, where: string): Float64Array {
  const out = new Float64Array(rt.vocabSize).fill(-Infinity);
  for (const [t, p] of full(rt, probs, where)) out[t] = Math.log(p);
  return out;
}
