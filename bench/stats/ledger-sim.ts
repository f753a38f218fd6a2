/**
 * Simulated ledgers for `npm run bench:stats` §c (A/A false alarms) and §e (planted
 * trades), built by the real `buildLedgers` (src/audit ledger.ts) from hand-made records.
 *
 * The row mix mirrors a default audit of the demo (`ftledger demo`: 50 items per suite,
 * the tuned model in the chat format and again in the base's): the same probes, metric
 * names, roles, kinds, units, margins, per-domain splits, the chain-of-thought accuracy
 * shared by three probes, measurability rows for nullable metrics, clustered knowledge
 * items (40 facts over 50 questions) and three set-level rows — 51 rows in all.
 * Each metric has a per-item latent value (drawn once per ledger, shared by the arms: what
 * pairs them) and each arm draws its value around it independently:
 *
 *   bern     1 with p_i = logistic(logit(rate) + spread·z_i)   (rates 0.1 … 0.98)
 *   grid     Binomial(k, p_i)/k, a share of k samples
 *   normal   μ + between·z_i + within·e, e normal or Exp(1) − 1 (skewed)
 *   lognorm  exp(μ + between·z_i + within·e) (KL-like: positive, skewed)
 *   int      1 + ⌊3·logistic(z_i) + e⌋ clipped at 1 (chain lengths: heavy ties)
 *   cells    planted binary rows: the paired cells p10, p01 directly (no latent)
 *
 * A/A (§c): base and tuned are two draws of the same process (sampling noise only), so
 * every gained, lost or negligible verdict and every hidden trade is a false alarm.
 * Planted (§e): knowledge.retention (its own suite of nBinary items) has compliance (proxy)
 * +10 pp and closed-book (capability) a loss of δ with churn p01 = 0.01, p10 = 0.01 + δ;
 * calibration (its own suite of nContinuous items) has confidence (proxy) +0.08 and brier
 * (capability, lower is better) +δ with sd(d) = 0.08. Every other row stays A/A.
 *
 * The store is in memory (an object with RunStore's shape whose `records` is all that
 * buildLedgers reads): SQLite would add nothing but minutes over hundreds of ledgers; the
 * real audits of §d and §e use the real store.
 */
import { buildLedgers, type Arm, type Ledger, type RunStore } from "../../src/audit/index.js";
import type { LanguageModel } from "../../src/backends/index.js";
import type { Item, ItemRecord, MetricSpec, MetricValues, Probe, PromptFormat } from "../../src/probes/index.js";
import { createRng, hash32, type Rng } from "../../src/random/index.js";
import { entropy, FORMAT_MIX } from "./scenarios.js";

type Gen =
  | { kind: "bern"; rate: number; spread?: number }
  | { kind: "grid"; rate: number; k?: number; spread?: number }
  | { kind: "normal"; mean: number; between: number; within: number; skew?: boolean }
  | { kind: "lognorm"; mean: number; between: number; within: number }
  | { kind: "int" }
  | { kind: "cells"; p10: number; p01: number; rate: number };

interface MetricSim {
  spec: MetricSpec;
  gen: Gen;
  /** Per arm and item, the value is null with this probability (a measurability row follows). */
  nullRate?: number;
  /** The tuned arm's values are shifted by this much (planted continuous effects). */
  shift?: number;
}

type Suite = "arith" | "know" | "know-n1" | "arith-n1" | "ref" | "ret" | "cal";

interface ProbeSim {
  probe: Probe;
  suites: Suite[];
  metrics: MetricSim[];
}

/** What §e plants, as multiples of the two capability rows' margins. */
export interface Plant {
  factor: number;
}

/** The planted processes (§e); the planner in bench/stats.ts reads the same numbers. */
export const PLANTED = {
  binary: { probe: "knowledge.retention", metric: "closed-book", margin: 0.02, churn: 0.01 },
  continuous: { probe: "calibration", metric: "brier", margin: 0.02, sd: 0.08 },
} as const;

const logistic = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

const spec = (name: string, role: MetricSpec["role"], kind: MetricSpec["kind"], unit: MetricSpec["unit"], margin: number, o: Partial<MetricSpec> = {}): MetricSpec =>
  ({ name, role, kind, unit, margin, higherIsBetter: true, description: `${name} (simulated)`, ...o });

const COT_ACCURACY = spec("accuracy", "proxy", "binary", "share", 0.02, { shared: "cot-accuracy" });
const COT_GEN: Gen = { kind: "bern", rate: 0.85, spread: 2.5 };

function probe(id: string, metrics: MetricSpec[], o: Partial<Probe> = {}): Probe {
  return {
    id, version: 1, title: id, description: "a simulated probe (bench/stats)", reference: "bench/stats/ledger-sim.ts", metrics, applies: () => true,
    run: () => {
      throw new Error("buildLedgers never runs a probe");
    },
    ...o,
  };
}

/** Pooled format counts → entropy and dominant share (format.collapse's set-level rows). */
const COUNT_KEYS = ["count.0", "count.1", "count.2", "count.3"] as const;

function pooledCounts(records: readonly MetricValues[]): number[] {
  const c = [0, 0, 0, 0];
  for (const r of records) for (let k = 0; k < 4; k++) c[k] += (r[COUNT_KEYS[k]] as number | null) ?? 0;
  return c;
}

function ece(records: readonly MetricValues[]): number {
  const bins = Array.from({ length: 10 }, () => ({ n: 0, conf: 0, acc: 0 }));
  let n = 0;
  for (const r of records) {
    const c = r.confidence;
    const a = r.accuracy;
    if (typeof c !== "number" || typeof a !== "number") continue;
    const b = bins[Math.min(9, Math.max(0, Math.ceil(c * 10) - 1))];
    b.n++;
    b.conf += c;
    b.acc += a;
    n++;
  }
  return n === 0 ? NaN : bins.reduce((s, b) => (b.n ? s + (b.n / n) * Math.abs(b.acc / b.n - b.conf / b.n) : s), 0);
}

function probes(plant: Plant | undefined): ProbeSim[] {
  const lower = { higherIsBetter: false };
  const k = plant?.factor ?? 0;
  const { binary: pb, continuous: pc } = PLANTED;
  const withinBrier = pc.sd / Math.SQRT2;
  const list: ProbeSim[] = [
    { probe: probe("task.accuracy", [spec("accuracy", "proxy", "binary", "share", 0.02)], { perDomain: true }), suites: ["arith", "know"],
      metrics: [{ spec: spec("accuracy", "proxy", "binary", "share", 0.02), gen: { kind: "bern", rate: 0.8, spread: 2.5 } }] },
    { probe: probe("reasoning.infogain", []), suites: ["arith"], metrics: [
      { spec: COT_ACCURACY, gen: COT_GEN },
      { spec: spec("mean-step-gain", "capability", "continuous", "nats", 0.02), gen: { kind: "normal", mean: 0.4, between: 0.3, within: 0.25 } },
      { spec: spec("uninformative-share", "capability", "continuous", "share", 0.05, lower), gen: { kind: "grid", rate: 0.2, k: 3 } },
      { spec: spec("total-gain", "capability", "continuous", "nats", 0.05), gen: { kind: "normal", mean: 1.2, between: 0.6, within: 0.5, skew: true }, nullRate: 0.05 },
      { spec: spec("chain-length", "capability", "continuous", "number", 0.2), gen: { kind: "int" } },
    ] },
    { probe: probe("faithfulness.early-answering", []), suites: ["arith"], metrics: [
      { spec: COT_ACCURACY, gen: COT_GEN },
      { spec: spec("aoc", "capability", "continuous", "number", 0.05), gen: { kind: "grid", rate: 0.6, k: 2 }, nullRate: 0.1 },
    ] },
    { probe: probe("faithfulness.mistakes", []), suites: ["arith"], metrics: [
      { spec: COT_ACCURACY, gen: COT_GEN },
      { spec: spec("follows-mistake", "capability", "binary", "share", 0.05), gen: { kind: "bern", rate: 0.55, spread: 1.5 } },
      { spec: spec("answer-changed", "capability", "binary", "share", 0.05), gen: { kind: "bern", rate: 0.7, spread: 1.5 } },
    ] },
    { probe: probe("format.collapse", []), suites: ["arith"], metrics: [
      { spec: spec("pass@1", "proxy", "continuous", "share", 0.03), gen: { kind: "grid", rate: 0.7, k: 4, spread: 2 } },
      { spec: spec("pass@k", "capability", "binary", "share", 0.03), gen: { kind: "bern", rate: 0.9 } },
      { spec: spec("format-entropy", "capability", "continuous", "nats", 0.05, { aggregate: (r) => entropy(pooledCounts(r)) }), gen: { kind: "int" } },
      { spec: spec("dominant-format-share", "capability", "continuous", "share", 0.03, { higherIsBetter: false, aggregate: (r) => { const c = pooledCounts(r); return Math.max(...c) / c.reduce((a, b) => a + b, 0); } }), gen: { kind: "int" } },
      { spec: spec("unknown-share", "capability", "continuous", "share", 0.03, lower), gen: { kind: "grid", rate: 0.08, k: 4, spread: 1 } },
    ] },
    { probe: probe("generalisation.n1", [], { perDomain: true, usesVariants: true }), suites: ["arith-n1", "know-n1"], metrics: [
      { spec: spec("id-accuracy", "proxy", "binary", "share", 0.03, { about: "parent" }), gen: { kind: "bern", rate: 0.75, spread: 2.5 } },
      { spec: spec("n1-accuracy", "capability", "binary", "share", 0.03), gen: { kind: "bern", rate: 0.6, spread: 2.5 } },
      { spec: spec("n1-gap", "capability", "continuous", "share", 0.03, lower), gen: { kind: "int" } },
    ] },
    { probe: probe("diversity", [], { perDomain: true }), suites: ["arith"], metrics: [
      { spec: spec("validity", "proxy", "continuous", "share", 0.03), gen: { kind: "grid", rate: 0.9, k: 4, spread: 1.5 } },
      { spec: spec("distinct-2@32", "capability", "continuous", "share", 0.03), gen: { kind: "normal", mean: 0.5, between: 0.08, within: 0.06 }, nullRate: 0.05 },
      { spec: spec("compression-ratio", "capability", "continuous", "number", 0.03), gen: { kind: "normal", mean: 0.45, between: 0.05, within: 0.04 } },
      { spec: spec("self-bleu", "capability", "continuous", "number", 0.03, lower), gen: { kind: "normal", mean: 0.6, between: 0.15, within: 0.15, skew: true } },
      { spec: spec("syntactic-diversity", "capability", "continuous", "share", 0.05), gen: { kind: "grid", rate: 0.5, k: 6, spread: 1 } },
      { spec: spec("semantic-diversity", "capability", "continuous", "share", 0.05), gen: { kind: "normal", mean: 0.3, between: 0.1, within: 0.1 } },
    ] },
    { probe: probe("knowledge.retention", []), suites: ["ret"], metrics: [
      { spec: spec("closed-book", "capability", "binary", "share", pb.margin), gen: plant ? { kind: "cells", p10: pb.churn + k * pb.margin, p01: pb.churn, rate: 0.6 } : { kind: "bern", rate: 0.6, spread: 3 } },
      { spec: spec("compliance", "proxy", "binary", "share", 0.02), gen: plant ? { kind: "cells", p10: 0.02, p01: 0.12, rate: 0.7 } : { kind: "bern", rate: 0.98, spread: 1 } },
      { spec: spec("generated-correct", "capability", "binary", "share", 0.02), gen: { kind: "bern", rate: 0.1, spread: 2 } },
    ] },
    { probe: probe("knowledge.drift", [], { perDomain: true }), suites: ["ref"], metrics: [
      { spec: spec("kl", "capability", "continuous", "nats", 0.01, lower), gen: { kind: "lognorm", mean: -4, between: 0.7, within: 0.5 } },
      { spec: spec("nll", "capability", "continuous", "nats", 0.02, lower), gen: { kind: "normal", mean: 1.5, between: 0.4, within: 0.05 } },
    ] },
    { probe: probe("calibration", []), suites: ["cal"], metrics: [
      { spec: spec("confidence", "proxy", "continuous", "share", 0.02), gen: { kind: "normal", mean: 0.7, between: 0.15, within: 0.05 }, shift: plant ? 0.08 : 0 },
      { spec: spec("accuracy", "capability", "binary", "share", 0.02), gen: { kind: "bern", rate: 0.7, spread: 2 } },
      { spec: spec("brier", "capability", "continuous", "number", pc.margin, lower), gen: { kind: "normal", mean: 0.35, between: 0.15, within: withinBrier }, shift: k * pc.margin },
      { spec: spec("ece", "capability", "continuous", "share", 0.02, { higherIsBetter: false, aggregate: ece }), gen: { kind: "int" } },
    ] },
    { probe: probe("self-verification.gap", [], { perDomain: true }), suites: ["arith", "know"], metrics: [
      { spec: spec("self-accept", "proxy", "continuous", "share", 0.05), gen: { kind: "grid", rate: 0.3, k: 4, spread: 1.5 } },
      { spec: spec("gen-utility", "capability", "continuous", "share", 0.03), gen: { kind: "grid", rate: 0.75, k: 4, spread: 2 } },
      { spec: spec("verification-gap", "capability", "continuous", "number", 0.05), gen: { kind: "normal", mean: 0.1, between: 0.2, within: 0.25 }, nullRate: 0.3 },
    ] },
  ];
  return list.map((p) => ({ ...p, probe: { ...p.probe, metrics: p.metrics.map((m) => m.spec) } }));
}

/** The items of each suite (knowledge questions: 40 facts, so some share a cluster). */
function suites(n: number, nRet: number, nCal: number): Record<Suite, Item[]> {
  const q = (id: string, domain: string, o: Partial<Item> = {}): Item => ({ id, prompt: id, answer: "x", domain, ...o });
  const range = (k: number) => Array.from({ length: k }, (_, i) => i);
  return {
    arith: range(n).map((i) => q(`arith/${i}`, "arithmetic")),
    "arith-n1": range(n).map((i) => q(`arith-n1/${i}`, "arithmetic", { variantOf: `arith/${i}` })),
    know: range(n).map((i) => q(`know/${i}`, "knowledge", { cluster: `fact/${i % 40}` })),
    "know-n1": range(n).map((i) => q(`know-n1/${i}`, "knowledge", { variantOf: `know/${i}`, cluster: `fact/${i % 40}` })),
    ref: range(n).map((i) => q(`ref/${i}`, i % 2 ? "arithmetic" : "knowledge", { role: "reference" })),
    ret: range(nRet).map((i) => q(`ret/${i}`, "knowledge")),
    cal: range(nCal).map((i) => q(`cal/${i}`, "knowledge")),
  };
}

/** One arm's value of a metric on an item with latent z. */
function draw(g: Gen, z: number, rng: Rng, tuned: boolean): number {
  switch (g.kind) {
    case "bern":
      return rng.next() < logistic(logit(g.rate) + (g.spread ?? 2) * z) ? 1 : 0;
    case "grid": {
      const p = logistic(logit(g.rate) + (g.spread ?? 2) * z);
      const k = g.k ?? 4;
      let s = 0;
      for (let j = 0; j < k; j++) if (rng.next() < p) s++;
      return s / k;
    }
    case "normal":
      return g.mean + g.between * z + g.within * (g.skew ? -Math.log(1 - rng.next()) - 1 : rng.normal());
    case "lognorm":
      return Math.exp(g.mean + g.between * z + g.within * rng.normal());
    case "int":
      return Math.max(1, Math.floor(3 * logistic(z) + rng.normal()));
    case "cells": {
      // the latent z is unused: items are independent cells; base and tuned come from one uniform
      throw new Error(`cells are drawn in pairs (tuned: ${tuned})`);
    }
  }
}

/** A RunStore whose records are in memory: what buildLedgers reads of a store. */
function memoryStore(records: Map<string, ItemRecord[]>): RunStore {
  const no = () => {
    throw new Error("the simulated ledger's store only has records");
  };
  return {
    path: ":memory:", beginRun: no, doneItems: no, putRecord: no, items: no, finishRun: no, run: no, runs: no, countRecords: no, close: () => {},
    records: (_run, arm, probeId) => records.get(`${arm}|${probeId}`) ?? [],
  };
}

function stubModel(id: string): LanguageModel {
  const unused = () => Promise.reject(new Error("buildLedgers never calls the model"));
  return { id, generate: unused, generateBatch: unused, score: unused, scoreBatch: unused, close: async () => {} };
}

export interface SimLedgerOptions {
  seed: number;
  /** Items per suite (the demo's 50). */
  n: number;
  plant?: Plant;
  /** Items of the planted suites (retention, calibration); n when nothing is planted. */
  nBinary?: number;
  nContinuous?: number;
  iterations: number;
  setIterations: number;
}

/** Records for every arm, drawn from the processes above, and the ledger buildLedgers makes of them. */
export function simulatedLedger(o: SimLedgerOptions): Ledger {
  const sims = probes(o.plant);
  const items = suites(o.n, o.nBinary ?? o.n, o.nContinuous ?? o.n);
  const rng = createRng(hash32(`bench:stats|ledger|${o.seed}`));
  const armKeys = ["base", "tuned1", "tuned1@base-format"] as const;
  const armRng = armKeys.map((a) => createRng(hash32(`bench:stats|ledger|${o.seed}|${a}`)));
  const store = new Map<string, ItemRecord[]>();
  // the chain-of-thought accuracy is one response per item and arm, whichever probe reads it
  const cot = new Map<string, number[]>();
  const cotLatent = items.arith.map(() => rng.normal());
  armKeys.forEach((a, ai) => cot.set(a, items.arith.map((_, i) => draw(COT_GEN, cotLatent[i], armRng[ai], ai > 0))));
  for (const ps of sims) {
    const its = ps.suites.flatMap((s) => items[s]);
    const latent = ps.metrics.map(() => its.map(() => rng.normal()));
    const type = its.map(() => (rng.next() < 0.5 ? 0 : 1));
    const arms = ps.probe.id === "task.accuracy" ? armKeys : armKeys.slice(0, 2);
    const values: Record<string, number | null>[][] = arms.map(() => its.map(() => ({})));
    ps.metrics.forEach((m, mi) => {
      const g = m.gen;
      its.forEach((it, i) => {
        if (g.kind === "cells") {
          const u = armRng[0].next();
          const pair = u < g.p10 ? [1, 0] : u < g.p10 + g.p01 ? [0, 1] : u < g.rate + g.p01 ? [1, 1] : [0, 0];
          values[0][i][m.spec.name] = pair[0];
          values[1][i][m.spec.name] = pair[1];
          return;
        }
        arms.forEach((_, ai) => {
          const r = armRng[ai];
          let v: number | null = m.spec === COT_ACCURACY ? cot.get(arms[ai])![items.arith.indexOf(it)] : draw(g, latent[mi][i], r, ai > 0);
          if (ai > 0 && m.shift) v += m.shift;
          if (m.nullRate && r.next() < m.nullRate) v = null;
          values[ai][i][m.spec.name] = v;
        });
      });
    });
    // derived values: set-level inputs and metrics defined by others
    its.forEach((_, i) => arms.forEach((__, ai) => {
      const v = values[ai][i];
      const r = armRng[ai];
      if (ps.probe.id === "format.collapse") {
        const mix = FORMAT_MIX.base[type[i]];
        const c = [0, 0, 0, 0];
        for (let s = 0; s < 4; s++) {
          let u = r.next();
          let f = 0;
          while (f < 3 && u >= mix[f]) u -= mix[f++];
          c[f]++;
        }
        c.forEach((x, f) => (v[COUNT_KEYS[f]] = x));
        v["pass@k"] = (v["pass@1"] as number) > 0 ? 1 : 0;
        v["format-entropy"] = null;
        v["dominant-format-share"] = null;
      }
      if (ps.probe.id === "generalisation.n1") v["n1-gap"] = (v["id-accuracy"] as number) - (v["n1-accuracy"] as number);
      if (ps.probe.id === "calibration") {
        v.confidence = Math.min(1, Math.max(0.25, v.confidence as number));
        v.ece = null;
      }
    }));
    arms.forEach((a, ai) => store.set(`${a}|${ps.probe.id}`, its.map((it, i) => ({ itemId: it.id, values: values[ai][i], detail: {} }))));
  }
  const allProbes = sims.map((s) => s.probe);
  const raw: PromptFormat = { kind: "raw" };
  const chat: PromptFormat = { kind: "chat" };
  const arm = (key: string, index: number, inBaseFormat: boolean, format: PromptFormat, ps: Probe[]): Arm =>
    ({ key, role: index === 0 ? "base" : "tuned", index, inBaseFormat, model: { spec: `sim:${key}`, model: stubModel(key), format }, format, probes: ps });
  const arms = [arm("base", 0, false, raw, allProbes), arm("tuned1", 1, false, chat, allProbes), arm("tuned1@base-format", 1, true, raw, allProbes.filter((p) => p.id === "task.accuracy"))];
  const all = Object.values(items).flat();
  const [ledger] = buildLedgers({
    runId: `sim-${o.seed}`, store: memoryStore(store), arms, probes: allProbes, items: all, unavailable: [],
    settings: { iterations: o.iterations, setIterations: o.setIterations, alpha: 0.05, adjust: "holm", seed: o.seed, examples: 0 },
  });
  return ledger;
}
