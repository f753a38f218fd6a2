/**
 * bench/audit.ts's measure of how busy an audit keeps the backend: the work of the model
 * calls the audit made, in model FLOPs, against the backend's raw throughput on that work.
 *
 * Work of one call, counted from the request and the response (never from the cache: the
 * wrapper sits between the request cache and the backend, so a hit is no work):
 *   per token at position p (0-based; it attends to p + 1 positions), for a llama of L
 *   layers, width d, query width q = heads · head_dim, key/value width k, MLP width f,
 *   vocabulary V:
 *     2·L·(d·q + 2·d·k + q·d + 3·d·f)   the linear layers
 *     4·L·q·(p + 1)                     attention scores and the weighted sum
 *     2·d·V                             the output head, only where a log-prob is needed
 *   in three kinds, each against its own raw rate:
 *   score    score(prompt, continuation): the whole text but its last token, head on the
 *            continuation's tokens; scoreTokens(ids): ids but the last, head everywhere;
 *            nextTokenLogprobs(prefix): the prefix, head once;
 *   prefill  generate(prompt) with n samples: the prompt ONCE per distinct prompt of the call
 *            (an engine may share it between the samples and requests that start from it;
 *            the builtin one does, batch/continuous.ts), head once;
 *   decode   per sample, each generated token fed back (a sample that ended by length or
 *            context did not feed its last one; tokens past a stop string, which the text no
 *            longer holds, are not counted: an undercount).
 * Raw throughput (rawThroughput): the same backend, no cache, no probes, the audit's own
 * question prompts; the best FLOP/s over the call sizes of a RawPlan of
 *   score    scoreBatch of (prompt, answer) pairs;
 *   prefill  generateBatch at maxTokens 1;
 *   decode   generateBatch of seeded samples (temperature 1; 1 or more a request, as the plan
 *            says), timed at maxTokens M and at 1:
 *            (decode FLOPs of the M run) / (t_M − t_1), so the prefill both share cancels.
 *            The zoo's models end most answers early, so a call of as many samples as the
 *            backend decodes at once runs half empty by its end; calls of up to 128 samples
 *            keep a backend that refills its slots (builtin, batch/continuous.ts) full.
 * Utilisation = Σ over models and kinds (FLOPs / raw FLOP/s) / audit wall time: the time
 * the backend at its best would need for the audit's work, as a share of the time the
 * audit took. A backend's slow path (a call of one short sequence) counts against it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GenerateRequest, Generation, LanguageModel, ScoreRequest, Vocabulary } from "../src/backends/index.js";

export interface Shape {
  layers: number;
  d: number;
  q: number;
  kv: number;
  ff: number;
  vocab: number;
}

/** The shape of a zoo model, from its config.json. */
export function shapeOf(dir: string): Shape {
  const c = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, number>;
  const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  return { layers: c.num_hidden_layers, d: c.hidden_size, q: c.num_attention_heads * hd, kv: c.num_key_value_heads * hd, ff: c.intermediate_size, vocab: c.vocab_size };
}

/** FLOPs of feeding `count` tokens at positions start … start+count−1, with the output head on `heads` of them. */
export function segmentFlops(s: Shape, start: number, count: number, heads: number): number {
  if (count <= 0) return 0;
  const linear = 2 * s.layers * (s.d * s.q + 2 * s.d * s.kv + s.q * s.d + 3 * s.d * s.ff);
  const attended = count * start + (count * (count + 1)) / 2; // Σ (p + 1)
  return count * linear + 4 * s.layers * s.q * attended + heads * 2 * s.d * s.vocab;
}

export type Kind = "score" | "prefill" | "decode";
export const KINDS: readonly Kind[] = ["score", "prefill", "decode"];
export type Flops = Record<Kind, number>;
const zero = (): Flops => ({ score: 0, prefill: 0, decode: 0 });

/** Model FLOPs done, by kind of pass, and what they came from. */
export class Work {
  readonly flops: Flops = zero();
  calls = 0;
  /** Tokens decoded, and the sum of their positions (their mean: how long the contexts were). */
  decodeTokens = 0;
  decodePositions = 0;
  /** Sequences per backend call (a batch's requests × samples), for the histogram. */
  readonly sizes: number[] = [];
  /**
   * Per call kind and size: calls, FLOPs and the time spent inside the call before it
   * returned its promise. On builtin that is all of the call's compute (the engine runs
   * synchronously); on gguf and openai it is only the start.
   */
  readonly byCall = new Map<string, { calls: number; flops: Flops; syncMs: number }>();
  private call = "";
  private syncMs = 0;
  private pending: (() => void)[] = [];
  constructor(readonly shape: Shape, readonly vocab: Vocabulary) {}

  /** Count a call after the run (tokenising inside it would add to the time measured). */
  later(f: () => void, call: string, syncMs: number): void {
    this.pending.push(() => {
      this.call = call;
      this.syncMs = syncMs;
      f();
    });
  }

  settle(): this {
    for (const f of this.pending.splice(0)) f();
    return this;
  }

  private add(seqs: number, f: Flops): void {
    const bucket = seqs >= 64 ? "64+" : seqs >= 32 ? "32-63" : seqs >= 16 ? "16-31" : seqs >= 8 ? "8-15" : seqs >= 2 ? "2-7" : "1";
    const key = `${this.call} ${bucket}`;
    const e = this.byCall.get(key) ?? { calls: 0, flops: zero(), syncMs: 0 };
    e.calls++;
    e.syncMs += this.syncMs;
    for (const k of KINDS) {
      e.flops[k] += f[k];
      this.flops[k] += f[k];
    }
    this.byCall.set(key, e);
    this.sizes.push(seqs);
    this.calls++;
  }

  score(reqs: readonly ScoreRequest[]): void {
    const f = zero();
    for (const r of reqs) {
      const all = this.vocab.encodePrompt(r.prompt + r.continuation).length;
      const cont = Math.max(1, all - this.vocab.encodePrompt(r.prompt).length);
      f.score += segmentFlops(this.shape, 0, all - 1, cont);
    }
    this.add(reqs.length, f);
  }

  generate(reqs: readonly GenerateRequest[], gens: readonly Generation[], chat: (r: GenerateRequest) => string): void {
    const f = zero();
    const prompts = new Set<string>();
    reqs.forEach((r, i) => {
      const text = r.messages ? chat(r) : r.prompt;
      const p = this.vocab.encodePrompt(text).length;
      if (!prompts.has(text)) f.prefill += segmentFlops(this.shape, 0, p, 1);
      prompts.add(text);
      for (const smp of gens[i]?.samples ?? []) {
        const k = smp.tokens?.length ?? this.vocab.encode(smp.text).length;
        const fed = smp.finishReason === "stop" ? k : Math.max(0, k - 1);
        f.decode += segmentFlops(this.shape, p, fed, fed);
        this.decodeTokens += fed;
        this.decodePositions += fed * p + (fed * (fed - 1)) / 2;
      }
    });
    this.add(reqs.reduce((a, r) => a + (r.n ?? 1), 0), f);
  }

  /** scoreTokens of each sequence: all but its last token fed, the head on each. */
  tokens(seqs: readonly (readonly number[])[]): void {
    const score = seqs.reduce((a, ids) => a + segmentFlops(this.shape, 0, ids.length - 1, ids.length - 1), 0);
    this.add(seqs.length, { ...zero(), score });
  }

  /** nextTokenLogprobs: the prefix fed, the head once. */
  next(n: number): void {
    this.add(1, { ...zero(), score: segmentFlops(this.shape, 0, n, 1) });
  }
}

/** The same model with the work of every call it answers added to `work` (counted at `settle`, outside the audit's time). */
export function counted(m: LanguageModel, work: Work): LanguageModel {
  /** Call `f`, and count the call (later) as `kind` with the time f took to return its promise. */
  const call = <T>(kind: string, f: () => Promise<T>, count: (r: T) => void): Promise<T> => {
    const t0 = performance.now();
    const p = f();
    const sync = performance.now() - t0;
    return p.then((r) => {
      work.later(() => count(r), kind, sync);
      return r;
    });
  };
  const chat = (r: GenerateRequest) => m.chatPrompt?.(r.messages!) ?? r.messages!.map((x) => x.content).join("\n");
  const out: LanguageModel = {
    id: m.id,
    vocab: m.vocab,
    generate: (req) => call("generate", () => m.generate(req), (g) => work.generate([req], [g], chat)),
    generateBatch: (reqs) => call("generate", () => m.generateBatch(reqs), (g) => work.generate(reqs, g, chat)),
    score: (req) => call("score", () => m.score(req), () => work.score([req])),
    scoreBatch: (reqs) => call("score", () => m.scoreBatch(reqs), () => work.score(reqs)),
    close: () => m.close(),
  };
  const { scoreTokens, scoreTokensBatch, nextTokenLogprobs, chatPrompt, generateStream } = m;
  if (scoreTokens) out.scoreTokens = (ids, k) => call("scoreTokens", () => scoreTokens.call(m, ids, k), () => work.tokens([ids]));
  if (scoreTokensBatch) out.scoreTokensBatch = (reqs) => call("scoreTokens", () => scoreTokensBatch.call(m, reqs), () => work.tokens(reqs.map((r) => r.ids)));
  if (nextTokenLogprobs) out.nextTokenLogprobs = (prefix, k) => call("nextTokenLogprobs", () => nextTokenLogprobs.call(m, prefix, k), () => work.next(prefix.length));
  if (chatPrompt) out.chatPrompt = (msgs) => chatPrompt.call(m, msgs);
  if (generateStream) out.generateStream = (req) => generateStream.call(m, req);
  return out;
}

export interface Raw {
  /** FLOP/s of each kind, and the call size that gave it. */
  rate: Flops;
  size: Flops;
  /** Of the decode run that gave the best: tokens decoded ÷ (samples × M) (samples that end early lower it), and their mean position. */
  decodeFull: number;
  decodePosition: number;
}

/** Seconds per call of `f`, averaged over as many calls as fill `minSeconds` (at least one). */
async function timeIt(f: () => Promise<unknown>, minSeconds: number): Promise<number> {
  const t0 = performance.now();
  let calls = 0;
  do {
    await f();
    calls++;
  } while (performance.now() - t0 < minSeconds * 1000);
  return (performance.now() - t0) / 1000 / calls;
}

/** How rawThroughput measures one backend. */
export interface RawPlan {
  /** Requests per scoreBatch call tried. */
  scoreSizes: number[];
  /** Requests per generateBatch call tried (more than a backend decodes at once keeps its batch full as samples end). */
  generateSizes: number[];
  /** Samples per request tried (a server may decode a request's samples together, and its requests one by one). */
  samples: number[];
  /** Tokens per decoding sample (M). */
  maxTokens: number;
  /** Each measurement is the best of this many runs. */
  reps: number;
  /**
   * Each run repeats its call until this many seconds have passed and takes the mean: a
   * single call of a small model lasts tens of milliseconds, and the best of a few such
   * timings on a shared machine overstated the rate (builtin's base-s decoding measured
   * 18.4 and 25.8 GFLOP/s in two runs of the same code).
   */
  minSeconds: number;
}

/**
 * The backend's best FLOP/s (see the header). `pairs`: (prompt, answer) texts and `prompts`:
 * prompts to continue, as many as the largest size (cycled when fewer).
 */
export async function rawThroughput(
  m: LanguageModel, shape: Shape, vocab: Vocabulary, pairs: readonly { prompt: string; answer: string }[], prompts: readonly string[], plan: RawPlan,
): Promise<Raw> {
  const best: Raw = { rate: zero(), size: zero(), decodeFull: 0, decodePosition: 0 };
  const keep = (kind: Kind, rate: number, size: number): boolean => {
    if (!(rate > best.rate[kind])) return false;
    best.rate[kind] = rate;
    best.size[kind] = size;
    return true;
  };
  const cycle = <T>(xs: readonly T[], n: number): T[] => Array.from({ length: n }, (_, i) => xs[i % xs.length]);
  for (const size of plan.scoreSizes) {
    const reqs = cycle(pairs, size).map((p) => ({ prompt: p.prompt, continuation: p.answer }));
    const w = new Work(shape, vocab);
    w.score(reqs);
    let t = Infinity;
    for (let r = 0; r < plan.reps; r++) t = Math.min(t, await timeIt(() => m.scoreBatch(reqs), plan.minSeconds));
    keep("score", w.flops.score / t, size);
  }
  for (const size of plan.generateSizes) for (const n of plan.samples) {
    const gen = (max: number): GenerateRequest[] =>
      cycle(prompts, Math.max(1, Math.floor(size / n))).map((prompt, i) => ({ prompt, maxTokens: max, temperature: 1, seed: 1000 + n * i, n }));
    let t1 = Infinity;
    let tM = Infinity;
    let out: Generation[] = [];
    for (let r = 0; r < plan.reps; r++) {
      t1 = Math.min(t1, await timeIt(() => m.generateBatch(gen(1)), plan.minSeconds));
      tM = Math.min(tM, await timeIt(async () => (out = await m.generateBatch(gen(plan.maxTokens))), plan.minSeconds));
    }
    const w = new Work(shape, vocab);
    w.generate(gen(plan.maxTokens), out, () => "");
    keep("prefill", w.flops.prefill / t1, size);
    if (keep("decode", w.flops.decode / Math.max(1e-9, tM - t1), size)) {
      best.decodeFull = w.decodeTokens / (size * plan.maxTokens);
      best.decodePosition = w.decodePositions / Math.max(1, w.decodeTokens);
    }
  }
  return best;
}

/** The better of two measurements of each rate (with the call size, and the decode run's details). */
export function bestOf(a: Raw, b: Raw): Raw {
  const out: Raw = { rate: zero(), size: zero(), decodeFull: 0, decodePosition: 0 };
  for (const k of KINDS) {
    const from = a.rate[k] >= b.rate[k] ? a : b;
    out.rate[k] = from.rate[k];
    out.size[k] = from.size[k];
    if (k === "decode") Object.assign(out, { decodeFull: from.decodeFull, decodePosition: from.decodePosition });
  }
  return out;
}

/** Seconds the backend at its raw rates needs for `f`. */
export function idealSeconds(f: Flops, raw: Raw): number {
  return KINDS.reduce((a, k) => a + f[k] / raw.rate[k], 0);
}
