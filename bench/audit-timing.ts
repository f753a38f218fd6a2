/**
 * bench/audit.ts's timers: model calls in flight (a union of intervals), the run store's
 * methods and the request cache's lookups and writes.
 */
import type { LanguageModel, RequestCache } from "../src/backends/index.js";
import type { RunStore } from "../src/audit/index.js";

/** Calls in flight over time: the union of their intervals, their sum, their count and the peak overlap (ms). */
export class Busy {
  inFlight = 0;
  peak = 0;
  calls = 0;
  sum = 0;
  union = 0;
  private since = 0;
  async time<T>(f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    if (this.inFlight++ === 0) this.since = t0;
    this.peak = Math.max(this.peak, this.inFlight);
    this.calls++;
    try {
      return await f();
    } finally {
      const t1 = performance.now();
      this.sum += t1 - t0;
      if (--this.inFlight === 0) this.union += t1 - this.since;
    }
  }
}

/** The same model with every call timed on `busy`. */
export function timed(m: LanguageModel, busy: Busy): LanguageModel {
  const out: LanguageModel = {
    id: m.id,
    vocab: m.vocab,
    generate: (req) => busy.time(() => m.generate(req)),
    generateBatch: (reqs) => busy.time(() => m.generateBatch(reqs)),
    score: (req) => busy.time(() => m.score(req)),
    scoreBatch: (reqs) => busy.time(() => m.scoreBatch(reqs)),
    close: () => m.close(),
  };
  // optional methods exist exactly when the inner model has them (drift checks scoreTokens)
  const { scoreTokens, scoreTokensBatch, nextTokenLogprobs, chatPrompt, generateStream } = m;
  if (scoreTokens) out.scoreTokens = (ids, k) => busy.time(() => scoreTokens.call(m, ids, k));
  if (scoreTokensBatch) out.scoreTokensBatch = (reqs) => busy.time(() => scoreTokensBatch.call(m, reqs));
  if (nextTokenLogprobs) out.nextTokenLogprobs = (prefix, k) => busy.time(() => nextTokenLogprobs.call(m, prefix, k));
  if (chatPrompt) out.chatPrompt = (msgs) => chatPrompt.call(m, msgs);
  if (generateStream) out.generateStream = (req) => generateStream.call(m, req);
  return out;
}

/** The run store with its (synchronous) methods timed, in ms per method. */
export function timedStore(s: RunStore, ms: Record<string, number>): RunStore {
  const t = <A extends unknown[], R>(name: string, f: (...a: A) => R) => (...a: A): R => {
    const t0 = performance.now();
    try {
      return f(...a);
    } finally {
      ms[name] = (ms[name] ?? 0) + performance.now() - t0;
    }
  };
  return {
    path: s.path,
    beginRun: t("beginRun", s.beginRun), doneItems: t("doneItems", s.doneItems), putRecord: t("putRecord", s.putRecord),
    records: t("records", s.records), items: t("items", s.items), finishRun: t("finishRun", s.finishRun), run: t("run", s.run),
    runs: t("runs", s.runs), countRecords: t("countRecords", s.countRecords), close: () => s.close(),
  };
}
/**
 * The request cache with its lookups and writes timed, in ms per request kind ("get
 * score", "put scoreTokens"…; a lookup's kind is that of the write under its key, or
 * "miss" when it found nothing).
 */
export function timedCache(c: RequestCache, ms: Record<string, number>): RequestCache {
  const kinds = new Map<string, string>();
  const add = (k: string, t0: number) => (ms[k] = (ms[k] ?? 0) + performance.now() - t0);
  return {
    path: c.path,
    get(key) {
      const t0 = performance.now();
      const r = c.get(key);
      add(`get ${r ? (kinds.get(key) ?? "hit") : "miss"}`, t0);
      return r;
    },
    put(entries) {
      const t0 = performance.now();
      c.put(entries);
      for (const e of entries) kinds.set(e.key, e.kind);
      add(`put ${entries[0]?.kind ?? "none"}`, t0);
    },
    size: () => c.size(),
    close: () => c.close(),
  };
}
