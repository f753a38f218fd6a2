/**
 * `npm run bench:audit`: throughput of a full default audit per backend, and the audit's
 * own overhead over the model calls it makes.
 *
 * 1. The pair: base zoo/base-s, tuned zoo/base-m, both raw (the zoo's two pre-trained
 *    sizes; the same pair as test/audit/three-backends.test.ts). Every probe, the default
 *    suites (arithmetic, knowledge, reference) with FTLEDGER_BENCH_N items each (default
 *    20; the question suites add as many N-1 variants), the CLI's defaults otherwise:
 *    seed 1, samples 8, maxTokens 160, batch 16, same-format on, Holm.
 * 2. Per backend, fresh everything: a temp run store and a temp request cache (so no hit
 *    comes from an earlier run; hits within the run, e.g. calibration re-asking
 *    retention's option scores, are the cache doing its job and are counted), freshly
 *    opened models. builtin: openModel("builtin:…"). gguf: exportGguf (f32) then
 *    openModel("gguf:…"). openai: startServer on a fresh builtin instance per model, in
 *    this process, reached with openModel("openai:URL#name"). Setup is not timed.
 * 3. Each model is wrapped as  timed(withCache(timed(model)))  and the store in a timer:
 *      model    wall time with at least one call of generate / generateBatch / score /
 *               scoreBatch / scoreTokens / nextTokenLogprobs in flight on the raw
 *               backend (a union of intervals, not a sum: the audit runs its arms and
 *               probes one after another, but knowledge.drift scores the reference and
 *               the model with Promise.all, over a batch of items at once; the bench
 *               prints Σ call time and the peak number of calls in flight to show it);
 *      cache    the same union on the cached wrapper, minus `model`: request keys
 *               (canonical JSON + sha256) and SQLite lookups and inserts;
 *      store    time inside the run store's methods (record inserts while the probes
 *               run; record reads and the result row while the ledger is built);
 *      ledger   from the last record to the result, minus its store time: the paired
 *               statistics (bootstrap, permutation tests, 10,000 resamples), the gate,
 *               the JSON;
 *      probes   the rest: the probes' own code (rendering, judging, parsing) and the
 *               runner's loop.
 *    overhead_pct = 100 · (audit wall − model) / model.
 *
 * Last line (machine-readable), for the builtin backend:
 *   audit items_per_s=<N> overhead_pct=<P>
 * where items are the audit's items (every suite item, N-1 variants and reference
 * documents included, as `ftledger audit` counts them).
 *
 * Options (env): FTLEDGER_BENCH_N (items per suite, default 20), BENCH_BACKENDS (comma
 * list, default builtin,gguf,openai).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_WORLD } from "../src/world/index.js";
import { audit, DEFAULT_SUITES, openRunStore, suiteItems, type AuditModel, type AuditSettings, type RunStore } from "../src/audit/index.js";
import { openModel, openRequestCache, withCache, type CachedLanguageModel, type LanguageModel, type RequestCache } from "../src/backends/index.js";
import { exportGguf, ZOO_DIR } from "../src/formats/index.js";
import { PROBES, type Probe } from "../src/probes/index.js";
import { startServer, type RunningServer } from "../src/serve/index.js";

type Backend = "builtin" | "gguf" | "openai";
const n = Number(process.env.FTLEDGER_BENCH_N ?? 20);
const backends = (process.env.BENCH_BACKENDS ?? "builtin,gguf,openai").split(",") as Backend[];
const BASE = "base-s";
const TUNED = "base-m";
/** The CLI's defaults (src/cli/commands/audit.ts). */
const settings: AuditSettings = { seed: 1, samples: 8, maxTokens: 160, batchSize: 16, sameFormat: true };
const raw = { kind: "raw" } as const;
const probes: Probe[] = Object.values(PROBES);
const items = DEFAULT_SUITES.flatMap((s) => suiteItems(s, DEFAULT_WORLD, n));

/** Calls in flight over time: the union of their intervals, their sum, their count and the peak overlap (ms). */
class Busy {
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
function timed(m: LanguageModel, busy: Busy): LanguageModel {
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
  const { scoreTokens, nextTokenLogprobs, chatPrompt, generateStream } = m;
  if (scoreTokens) out.scoreTokens = (ids, k) => busy.time(() => scoreTokens.call(m, ids, k));
  if (nextTokenLogprobs) out.nextTokenLogprobs = (prefix, k) => busy.time(() => nextTokenLogprobs.call(m, prefix, k));
  if (chatPrompt) out.chatPrompt = (msgs) => chatPrompt.call(m, msgs);
  if (generateStream) out.generateStream = (req) => generateStream.call(m, req);
  return out;
}

/** The run store with its (synchronous) methods timed, in ms per method. */
function timedStore(s: RunStore, ms: Record<string, number>): RunStore {
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
function timedCache(c: RequestCache, ms: Record<string, number>): RequestCache {
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

const total = (ms: Record<string, number>) => Object.values(ms).reduce((a, b) => a + b, 0);

interface Measured {
  backend: Backend;
  wall: number;
  records: number;
  model: Busy;
  cached: Busy;
  storeRecords: number;
  storeLedger: number;
  storeMs: Record<string, number>;
  cacheMs: Record<string, number>;
  ledger: number;
  probes: number;
  calls: { model: number; cached: number };
  unavailable: string[];
}

async function measure(backend: Backend, dir: string): Promise<Measured> {
  const closers: (() => Promise<void>)[] = [];
  const open = async (name: string): Promise<LanguageModel> => {
    if (backend === "builtin") return openModel(`builtin:${join(ZOO_DIR, name)}`);
    if (backend === "gguf") {
      const path = join(dir, `${name}.gguf`);
      const r = await exportGguf(join(ZOO_DIR, name), path, { dtype: "f32" });
      if (!r.ok) throw new Error(`exportGguf ${name}: ${JSON.stringify(r.error)}`);
      return openModel(`gguf:${path}`);
    }
    const served = await openModel(`builtin:${join(ZOO_DIR, name)}`);
    const server: RunningServer = await startServer(served, { port: 0, modelName: name });
    closers.push(async () => {
      await server.close();
      await served.close();
    });
    return openModel(`openai:${server.url}#${name}`);
  };
  const model = new Busy();
  const cached = new Busy();
  const storeMs: Record<string, number> = {};
  const store = timedStore(openRunStore(join(dir, "store")), storeMs);
  const cacheMs: Record<string, number> = {};
  const cache = timedCache(openRequestCache(join(dir, "store", "cache.sqlite")), cacheMs);
  const withCaches: CachedLanguageModel[] = [];
  const wrap = async (name: string): Promise<LanguageModel> => {
    const m = await open(name);
    closers.unshift(() => m.close());
    const c = withCache(timed(m, model), cache);
    withCaches.push(c);
    return timed(c, cached);
  };
  try {
    const base: AuditModel = { spec: `${backend}:zoo/${BASE}`, model: await wrap(BASE), format: raw };
    const tuned: AuditModel = { spec: `${backend}:zoo/${TUNED}`, model: await wrap(TUNED), format: raw };
    let recordsDone = 0;
    let storeAtRecordsDone = 0;
    const t0 = performance.now();
    const result = await audit({
      base, tuned: [tuned], probes, items, sources: DEFAULT_SUITES.map((s) => `suite:${s}(n=${n})`), settings, store,
      onRecordsDone: () => {
        recordsDone = performance.now();
        storeAtRecordsDone = total(storeMs);
      },
    });
    const t1 = performance.now();
    const storeLedger = total(storeMs) - storeAtRecordsDone;
    const stats = withCaches.map((c) => c.stats);
    return {
      backend, wall: t1 - t0, records: result.json.records.stored, model, cached,
      storeRecords: storeAtRecordsDone, storeLedger, storeMs, cacheMs,
      ledger: t1 - recordsDone - storeLedger,
      probes: recordsDone - t0 - cached.union - storeAtRecordsDone,
      calls: { model: stats.reduce((a, s) => a + s.misses + s.bypassed, 0), cached: stats.reduce((a, s) => a + s.hits, 0) },
      unavailable: [...new Set(result.run.unavailable.map((u) => u.probe))],
    };
  } finally {
    for (const close of closers) await close();
    cache.close();
    store.close();
  }
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;
const overheadPct = (m: Measured) => (100 * (m.wall - m.model.union)) / m.model.union;

console.log(
  `audit bench: base zoo/${BASE} (raw) vs tuned zoo/${TUNED} (raw); ${probes.length} probes; ${items.length} items ` +
  `(${DEFAULT_SUITES.join(", ")}, n=${n} each, N-1 variants included); samples ${settings.samples}, maxTokens ${settings.maxTokens}, ` +
  `batch ${settings.batchSize}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`,
);
const results: Measured[] = [];
for (const backend of backends) {
  const dir = await mkdtemp(join(tmpdir(), `ftledger-bench-audit-${backend}-`));
  try {
    const m = await measure(backend, dir);
    results.push(m);
    console.log(`${backend}: ${s(m.wall)} s${m.unavailable.length ? ` (unavailable: ${m.unavailable.join(", ")})` : ""}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log("");
console.log("backend   items/s  records   wall s  model s  overhead   cache s  store s  ledger s  probes s   calls (+cached)  Σ call s  peak");
for (const m of results) {
  console.log(
    `${m.backend.padEnd(8)} ${(items.length / (m.wall / 1000)).toFixed(2).padStart(8)} ${String(m.records).padStart(8)} ${s(m.wall).padStart(8)} ` +
    `${s(m.model.union).padStart(8)} ${`${overheadPct(m).toFixed(1)}%`.padStart(9)} ${s(m.cached.union - m.model.union).padStart(9)} ` +
    `${s(m.storeRecords + m.storeLedger).padStart(8)} ${s(m.ledger).padStart(9)} ${s(m.probes).padStart(9)} ` +
    `${`${m.calls.model} (+${m.calls.cached})`.padStart(16)} ${s(m.model.sum).padStart(9)} ${String(m.model.peak).padStart(5)}`,
  );
}
console.log("");
console.log("overhead (audit wall − model s), by where it went, as a share of model s:");
for (const m of results) {
  const over = m.wall - m.model.union;
  const store = Object.entries(m.storeMs).filter(([, v]) => v >= 1).map(([k, v]) => `${k} ${s(v)}`).join(", ");
  console.log(
    `  ${m.backend.padEnd(8)} ${s(over)} s = cache ${pct(m.cached.union - m.model.union, m.model.union)}, store ${pct(m.storeRecords + m.storeLedger, m.model.union)} ` +
    `(${store}), ledger statistics ${pct(m.ledger, m.model.union)}, probes and runner ${pct(m.probes, m.model.union)}`,
  );
  const cacheParts = Object.entries(m.cacheMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${s(v)}`).join(", ");
  // NOTE: these sums include work that overlapped model calls (drift's Promise.all), so they may exceed the cache column
  console.log(`  ${"".padEnd(8)} inside the cache, SQLite + (de)serialisation by kind: ${cacheParts}`);
}
console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
// the machine-readable line: the builtin backend
const builtin = results.find((m) => m.backend === "builtin");
if (builtin) console.log(`audit items_per_s=${(items.length / (builtin.wall / 1000)).toFixed(2)} overhead_pct=${overheadPct(builtin).toFixed(1)}`);
