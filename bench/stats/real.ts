/**
 * `npm run bench:stats` §d and §e (real): audits of the zoo's small model, through the
 * real runner, run store, request cache and ledger.
 *
 *   A/A       zoo/base-s against itself: the probes run twice with different sampling
 *             seeds (ProbeContext.seed), one run stored as the base arm and the other as
 *             the tuned arm, then buildLedgers. Greedy probes (task.accuracy,
 *             knowledge.retention) give identical records; sampling probes
 *             (format.collapse, diversity, self-verification.gap) differ by sampling noise
 *             alone. Any gained / lost / negligible row or hidden trade is a false alarm.
 *   planted   zoo/base-s against itself wrapped so that, for a share f of the items (chosen
 *             by a hash of the item id and a salt), its greedy response to the item's
 *             prompt is only the final `Answer: …` line it would have written: the chain of
 *             thought is gone, the answer is not. faithfulness.early-answering then cannot
 *             measure those items (aoc is null), so its `aoc.measurable` row must fall by
 *             f × (the share the base could be measured on) while accuracy stays.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  audit, buildLedgers, DEFAULT_STATS, openRunStore, runAudit, suiteItems, type Arm, type AuditModel, type AuditRun, type AuditSettings, type Ledger, type UnavailableProbe,
} from "../../src/audit/index.js";
import { openModel, openRequestCache, withCache, type Generation, type GenerateRequest, type LanguageModel } from "../../src/backends/index.js";
import { ZOO_DIR } from "../../src/formats/index.js";
import { PROBES, type Item, type Probe } from "../../src/probes/index.js";
import { hash32 } from "../../src/random/index.js";
import { DEFAULT_WORLD } from "../../src/world/index.js";

const RAW = { kind: "raw" } as const;
const SPEC = "builtin:zoo/base-s";

export interface RealAA {
  pair: number;
  seeds: [number, number];
  rows: number;
  tested: number;
  /** Rows whose records differ between the arms (the sampling probes'). */
  differing: number;
  alarms: string[];
  trades: number;
  equivalent: number;
}

export interface RealPlanted {
  f: number;
  salt: number;
  n: number;
  /** Rows with a p-value in the ledger (its m). */
  m: number;
  /** Share of the base's items with an aoc (the measurable row's base value). */
  base: number;
  delta: number;
  accuracyDelta: number;
  p: number;
  pAdj: number;
  significant: boolean;
  verdict: string;
}

async function withZoo<T>(fn: (model: LanguageModel, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "ftledger-bench-stats-"));
  const raw = await openModel(`builtin:${join(ZOO_DIR, "base-s")}`);
  const cache = openRequestCache(join(dir, "cache.sqlite"));
  try {
    return await fn(withCache(raw, cache), dir);
  } finally {
    cache.close();
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const settingsOf = (seed: number, samples: number): AuditSettings => ({ seed, samples, maxTokens: 160, batchSize: 16, sameFormat: false });

/** §d: `pairs` A/A ledgers of zoo/base-s, n items per suite (arithmetic, knowledge), `samples` samples per prompt. */
export async function realAA(o: { pairs: number; n: number; samples: number; log: (s: string) => void }): Promise<RealAA[]> {
  const probes: Probe[] = [PROBES["task.accuracy"], PROBES["knowledge.retention"], PROBES["format.collapse"], PROBES.diversity, PROBES["self-verification.gap"]];
  const items: Item[] = [...suiteItems("arithmetic", DEFAULT_WORLD, o.n), ...suiteItems("knowledge", DEFAULT_WORLD, o.n)];
  return withZoo(async (model, dir) => {
    const store = openRunStore(join(dir, "store"));
    const base: AuditModel = { spec: SPEC, model, format: RAW };
    const out: RealAA[] = [];
    try {
      for (let k = 0; k < o.pairs; k++) {
        const seeds: [number, number] = [1000 + 2 * k, 1001 + 2 * k];
        const runs: AuditRun[] = [];
        for (const seed of seeds) {
          runs.push(await runAudit({ base, tuned: [], probes, items, sources: [`suite:arithmetic,knowledge(n=${o.n})`], settings: settingsOf(seed, o.samples), store }));
        }
        const runId = `aa-${seeds.join("-")}`;
        store.beginRun(runId, { aa: seeds }, items);
        for (const p of probes) {
          for (const r of store.records(runs[0].runId, "base", p.id)) store.putRecord(runId, "base", p.id, r);
          for (const r of store.records(runs[1].runId, "base", p.id)) store.putRecord(runId, "tuned1", p.id, r);
        }
        const arms: Arm[] = [
          { key: "base", role: "base", index: 0, inBaseFormat: false, model: base, format: RAW, probes },
          { key: "tuned1", role: "tuned", index: 1, inBaseFormat: false, model: base, format: RAW, probes },
        ];
        const unavailable: UnavailableProbe[] = [...runs[0].unavailable, ...runs[1].unavailable.map((u) => ({ ...u, arm: "tuned1" }))];
        const [ledger] = buildLedgers({
          runId, store, arms, probes, items, unavailable,
          settings: { ...DEFAULT_STATS, adjust: "holm", alpha: 0.05, seed: hash32(runId), examples: 0 },
        });
        const differing = probes.filter((p) => {
          const a = store.records(runs[0].runId, "base", p.id).map((r) => JSON.stringify(r.values));
          const b = store.records(runs[1].runId, "base", p.id).map((r) => JSON.stringify(r.values));
          return a.some((x, i) => x !== b[i]);
        }).flatMap((p) => ledger.rows.filter((r) => r.probe === p.id)).length;
        const alarms = ledger.rows.filter((r) => ["gained", "lost", "negligible"].includes(r.verdict)).map((r) => `${r.probe}.${r.metric}${r.domain ? `[${r.domain}]` : ""} ${r.verdict}`);
        out.push({
          pair: k, seeds, rows: ledger.rows.length, tested: ledger.rows.filter((r) => Number.isFinite(r.p)).length, differing, alarms,
          trades: ledger.hiddenTrades.length, equivalent: ledger.rows.filter((r) => r.verdict === "equivalent").length,
        });
        o.log(`real A/A ${k + 1}/${o.pairs}: ${ledger.rows.length} rows, ${alarms.length} alarms, ${ledger.hiddenTrades.length} hidden trades`);
      }
    } finally {
      store.close();
    }
    return out;
  });
}

/** The line `Answer: …` of a response, alone (the whole text when it has none). */
function answerLine(text: string): string {
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].startsWith("Answer:")) return lines[i];
  return text;
}

/** `inner`, except that its response to the prompt of an item `drop` selects is only the answer line. */
export function withoutChain(inner: LanguageModel, itemOfPrompt: ReadonlyMap<string, string>, drop: (itemId: string) => boolean, tag: string): LanguageModel {
  const dropped = (req: GenerateRequest) => {
    const id = req.prompt === undefined ? undefined : itemOfPrompt.get(req.prompt);
    return id !== undefined && drop(id);
  };
  const strip = (req: GenerateRequest, g: Generation): Generation =>
    dropped(req) ? { samples: g.samples.map((s) => ({ ...s, text: answerLine(s.text) })) } : g;
  const out: LanguageModel = {
    id: `${inner.id}|no-chain:${tag}`,
    vocab: inner.vocab,
    generate: async (req) => strip(req, await inner.generate(req)),
    generateBatch: async (reqs) => (await inner.generateBatch(reqs)).map((g, i) => strip(reqs[i], g)),
    score: (req) => inner.score(req),
    scoreBatch: (reqs) => inner.scoreBatch(reqs),
    close: async () => {},
  };
  const { nextTokenLogprobs, scoreTokens } = inner;
  if (nextTokenLogprobs) out.nextTokenLogprobs = (prefix, k) => nextTokenLogprobs.call(inner, prefix, k);
  if (scoreTokens) out.scoreTokens = (ids, k) => scoreTokens.call(inner, ids, k);
  return out;
}

/** §e (real): base vs base without its chain of thought on a share f of n arithmetic items, `salts` item selections per f. */
export async function realPlanted(o: { fs: readonly number[]; salts: number; n: number; log: (s: string) => void }): Promise<RealPlanted[]> {
  const probe = PROBES["faithfulness.early-answering"];
  const items = suiteItems("arithmetic", DEFAULT_WORLD, o.n);
  // the raw format renders an item's prompt as itself
  const itemOfPrompt = new Map(items.filter((it) => it.variantOf === undefined).map((it) => [it.prompt, it.id]));
  return withZoo(async (model, dir) => {
    const store = openRunStore(join(dir, "store"));
    const out: RealPlanted[] = [];
    try {
      for (const f of o.fs) {
        for (let salt = 0; salt < o.salts; salt++) {
          const drop = (id: string) => hash32(`bench:stats|no-chain|${salt}|${id}`) / 2 ** 32 < f;
          const tuned = withoutChain(model, itemOfPrompt, drop, `f=${f},salt=${salt}`);
          const r = await audit({
            base: { spec: SPEC, model, format: RAW }, tuned: [{ spec: `no-chain(${SPEC}, f=${f}, salt=${salt})`, model: tuned, format: RAW }],
            probes: [probe], items, sources: [`suite:arithmetic(n=${o.n})`], settings: settingsOf(1, 1), store, examples: 0,
          });
          const l: Ledger = r.ledgers[0];
          const row = l.rows.find((x) => x.metric === "aoc.measurable");
          const acc = l.rows.find((x) => x.metric === "accuracy");
          if (!acc) throw new Error(`no accuracy row: ${l.rows.map((x) => x.metric).join(", ")}`);
          const m = l.rows.filter((x) => Number.isFinite(x.p)).length;
          // no measurability row: every item had an aoc in both arms (nothing was dropped)
          out.push(row
            ? { f, salt, n: row.n, m, base: row.base, delta: row.delta, accuracyDelta: acc.delta, p: row.p, pAdj: row.pAdj, significant: row.significant && row.delta < 0, verdict: row.verdict }
            : { f, salt, n: acc.n, m, base: 1, delta: 0, accuracyDelta: acc.delta, p: 1, pAdj: 1, significant: false, verdict: "(no row)" });
        }
        o.log(`real planted f=${f}: ${o.salts} audits`);
      }
    } finally {
      store.close();
    }
    return out;
  });
}
