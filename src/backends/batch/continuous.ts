/**
 * Continuous batching for the engine (Yu et al. 2022, "Orca", iteration-level scheduling):
 * up to `slots` sequences decode together, and the step after one finishes, the next
 * waiting prompt takes its place, prefilled in the same ragged forward pass as the other
 * sequences' decoding step.
 *
 * Why: a batch decoded to its end (the engine's `generateTokens`) runs its last steps for
 * the few sequences that are still going, and the engine's cost per step barely falls with
 * fewer rows (bench/audit.ts: 60–66% of the raw decoding throughput on the audit's sampled
 * generations, where half the steps had their sequences finished). Refilling keeps every step
 * full until the queue runs dry.
 *
 * Each row is decoded exactly as `decodeSteps` (src/model/generate.ts) decodes a sequence:
 * its own seeded RNG, the same sampling on the same logits, the same stop, context and length
 * rules, in the same order. Which other rows share a forward pass must not change a row's
 * logits, or an audit's records would depend on how its requests were scheduled: attention
 * runs per sequence against its own cache, the output head per sequence, and the linear
 * layers treat rows independently — except that the native kernels send a product of fewer
 * than 8 rows to OpenBLAS instead of their own GEMM (src/tensor, native/ftledger_native.c),
 * which rounds differently. So every forward pass here is padded to MIN_ROWS rows with a
 * scratch sequence whose output is thrown away; a row's tokens and log-probs are then the
 * same bit for bit whatever else decodes beside it (test/backends/batch/continuous.test.ts).
 */
import { KvCache, headDim, inferForward, logProbAt, maskLogits, sampleToken, type GenerateOptions, type GeneratedSequence, type Llama, type Segment } from "../../model/index.js";
import { createRng, type Rng } from "../../random/index.js";

export interface DecodeRow {
  /** Prompt token ids (at least one). */
  prompt: readonly number[];
  /** This row's seed (the engine's `seed + i` for sample i of a request). */
  seed: number;
  /** Sampling, length and stop rules; `seed`/`seeds` in it are ignored. `shouldStop` is called with the row's index. */
  opts: GenerateOptions;
}

/**
 * Sequences the builtin backend decodes at once. Measured on the zoo's models (2 cores,
 * native kernels, 512 sampled answers): zoo/base-s decodes fastest at 16, zoo/base-m at
 * 32–64, and 32 costs each under 10% against its best, where 64 cost base-s 35% (its
 * products cross the GEMM's threading cutoff, and the KV caches outgrow the cache).
 */
export const DECODE_SLOTS = 32;

/** Rows per forward pass at least (see the header): below 8 the native kernels change GEMM. */
export const MIN_ROWS = 8;

interface Live {
  row: number;
  cache: KvCache;
  rng: Rng;
  /** The tokens this row feeds next (its prompt, then one sampled token at a time); null when its logits come from a shared prompt. */
  feed: Int32Array | null;
  /** The logits to sample from at this step. */
  logits?: Float32Array;
  stop: ReadonlySet<number>;
}

/**
 * A prompt several rows share (the n samples of a request; two probes sampling the same
 * prompt): its keys and values and its last position's logits, computed once and copied to
 * each row that starts from it. Copying gives the same bits as computing again, since a
 * sequence's prefill does not depend on what else is in the pass.
 */
interface Prefix {
  cache: KvCache;
  logits: Float32Array;
}

function copyPrefix(from: KvCache, to: KvCache, length: number, width: number): void {
  for (let l = 0; l < from.k.length; l++) {
    to.k[l].set(from.k[l].subarray(0, length * width));
    to.v[l].set(from.v[l].subarray(0, length * width));
  }
  to.length = length;
}

/** Every row decoded to its end, `slots` at a time, a finished row's slot refilled at the next step. */
export function decodeContinuous(model: Llama<Float32Array>, rows: readonly DecodeRow[], slots: number): GeneratedSequence[] {
  if (!(Number.isInteger(slots) && slots >= 1)) throw new Error(`decodeContinuous: slots must be a positive integer, got ${slots}`);
  const ctx = model.config.contextLength;
  const width = model.config.nKvHeads * headDim(model.config);
  // every prompt is checked before any compute, with decodeSteps' messages (probes/respond.ts
  // recognises a context error by its wording and then sends the batch's requests one by one)
  for (const r of rows) {
    if (r.prompt.length === 0) throw new Error("a prompt needs at least one token (start it with <bos>)");
    if (r.prompt.length > ctx) throw new Error(`a prompt of ${r.prompt.length} tokens exceeds the context length ${ctx}`);
  }
  const out: GeneratedSequence[] = rows.map(() => ({ tokens: [], logprobs: [], finish: "length" }));
  // decodeSteps samples nothing at maxTokens ≤ 0: no tokens, finish "length"
  const todo = rows.flatMap((r, i) => (r.opts.maxTokens > 0 ? [i] : []));
  const keys = rows.map((r) => r.prompt.join(","));
  const waiting = new Map<string, number>(); // rows of each prompt not started yet
  for (const i of todo) waiting.set(keys[i], (waiting.get(keys[i]) ?? 0) + 1);
  const prefixes = new Map<string, Prefix>();
  const spare: KvCache[] = []; // caches of finished rows, reused (at most `slots` ever exist)
  const pad = new KvCache(model.config, Math.min(MIN_ROWS, ctx));
  let live: Live[] = [];
  let next = 0;
  for (;;) {
    // 1. start rows in free slots: from a stored prefix, beside the row that computes it in this pass, or prefilled
    const leaders = new Map<string, Live>();
    const followers: Live[] = [];
    while (live.length < slots && next < todo.length) {
      const i = todo[next++];
      const r = rows[i];
      const cache = spare.pop() ?? new KvCache(model.config);
      cache.truncate(0);
      const l: Live = { row: i, cache, rng: createRng(r.seed), feed: null, stop: new Set(r.opts.stopTokens ?? []) };
      const pre = prefixes.get(keys[i]);
      if (pre) {
        copyPrefix(pre.cache, cache, r.prompt.length, width);
        l.logits = pre.logits;
      } else if (leaders.has(keys[i])) followers.push(l);
      else {
        l.feed = Int32Array.from(r.prompt);
        leaders.set(keys[i], l);
      }
      const left = waiting.get(keys[i])! - 1;
      waiting.set(keys[i], left);
      if (left === 0) prefixes.delete(keys[i]);
      live.push(l);
    }
    if (live.length === 0) return out;
    // 2. one forward pass for every row that feeds tokens, padded to MIN_ROWS rows
    const feeding = live.filter((l) => l.feed !== null);
    if (feeding.length > 0) {
      const segments: Segment[] = feeding.map((l) => ({ cache: l.cache, tokens: l.feed, logits: "last" }));
      const fed = feeding.reduce((a, l) => a + l.feed!.length, 0);
      if (fed < pad.capacity) {
        pad.truncate(0);
        segments.push({ cache: pad, tokens: new Int32Array(pad.capacity - fed), logits: "none" });
      }
      const logits = inferForward(model, segments);
      feeding.forEach((l, j) => (l.logits = logits[j]));
    }
    // 3. a prompt other rows still need is kept; this pass's followers copy it
    for (const [key, l] of leaders) {
      const length = rows[l.row].prompt.length;
      if (waiting.get(key)! > 0) {
        const pre: Prefix = { cache: new KvCache(model.config, length), logits: l.logits! };
        copyPrefix(l.cache, pre.cache, length, width);
        prefixes.set(key, pre);
      }
      for (const f of followers) {
        if (keys[f.row] !== key) continue;
        copyPrefix(l.cache, f.cache, length, width);
        f.logits = l.logits;
      }
    }
    // 4. sample every live row, as decodeSteps does
    const still: Live[] = [];
    for (const l of live) {
      const { opts } = rows[l.row];
      const seq = out[l.row];
      // token healing (../healing.ts): the first token drawn from the allowed ids only
      const row = seq.tokens.length === 0 && opts.firstAllowed ? maskLogits(l.logits!, opts.firstAllowed) : l.logits!;
      const tok = sampleToken(row, opts, l.rng);
      if (!l.stop.has(tok)) {
        seq.tokens.push(tok);
        seq.logprobs.push(logProbAt(row, tok));
        if (opts.shouldStop?.(l.row, seq.tokens)) seq.finish = "stop";
        else if (l.cache.length >= ctx) seq.finish = "context"; // no position left to feed this token
        else if (seq.tokens.length < opts.maxTokens) {
          l.feed = Int32Array.of(tok);
          still.push(l);
          continue;
        }
      } else seq.finish = "stop";
      spare.push(l.cache);
    }
    live = still;
  }
}
