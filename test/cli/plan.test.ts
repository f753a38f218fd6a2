/**
 * `ftledger plan` (src/cli/commands/plan.ts), in-process: the pure plan of stated rates
 * agrees with src/stats/power.ts; a pilot run in a temporary run store gives a table with
 * one line per row and the summary line; bad input names the flag and exits 2.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { openRunStore } from "../../src/audit/index.js";
import { addPlanCommand, planCommand, type PlanOptions } from "../../src/cli/commands/plan.js";
import { planRows } from "../../src/stats/index.js";
import type { Item, ItemRecord } from "../../src/probes/index.js";
import { createRng } from "../../src/random/index.js";
import {
  designEffect, equivalenceN, equivalenceProportionsN, iccOneWay, pairedMeanMde, pairedMeanN, pairedProportionsMde, pairedProportionsN,
} from "../../src/stats/power.js";

/** planCommand with its output captured. */
async function plan(opts: PlanOptions): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await planCommand(opts, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const lastLine = (s: string) => s.trimEnd().split("\n").at(-1);

describe("planRows on stated rates agrees with src/stats/power.ts", () => {
  const at = { alpha: 0.05 / 48, power: 0.8, deff: 1.3 };

  it("binary: detection at p10 = (ψ − δ)/2, p01 = (ψ + δ)/2; equivalence and the MDE at ψ", () => {
    const [r] = planRows([{ label: "b", kind: "binary", unit: "share", margin: 0.02, nNow: 200, psi: 0.2, deff: 1.3, notes: [] }], { alpha: 0.05, power: 0.8, rows: 48 });
    expect(r.alphaRow).toBeCloseTo(0.05 / 48, 15);
    expect(r.nDetect).toBe(pairedProportionsN({ ...at, p10: 0.09, p01: 0.11 }).n);
    expect(r.nEquivalence).toBe(equivalenceProportionsN({ ...at, psi: 0.2, margin: 0.02 }).n);
    expect(r.mdeNow).toBe(pairedProportionsMde({ ...at, psi: 0.2, n: 200 }).mde);
    expect(r.mdeAt).toBeNull();
  });

  it("continuous: paired t and TOST at the margin, the MDE at n", () => {
    const [r] = planRows([{ label: "c", kind: "continuous", unit: "number", margin: 0.05, nNow: 500, sd: 0.3, deff: 1.3, notes: [] }], { alpha: 0.05, power: 0.8, rows: 48, nAt: 2000 });
    expect(r.nDetect).toBe(pairedMeanN({ ...at, sd: 0.3, delta: 0.05 }).n);
    expect(r.nEquivalence).toBe(equivalenceN({ ...at, sd: 0.3, margin: 0.05 }).n);
    expect(r.mdeNow).toBe(pairedMeanMde({ ...at, sd: 0.3, n: 500 }).mde);
    expect(r.mdeAt).toBe(pairedMeanMde({ ...at, sd: 0.3, n: 2000 }).mde);
  });

  it("binary with ψ below the margin plans detection at ψ = margin, and says so; a set row has no plan", () => {
    const rows = planRows([
      { label: "b", kind: "binary", unit: "share", margin: 0.05, psi: 0.02, deff: 1, notes: [] },
      { label: "s", kind: "set", unit: "share", margin: 0.02, deff: 1, noPlan: "set-level statistic", notes: [] },
    ], { alpha: 0.05, power: 0.8, rows: 2 });
    expect(rows[0].nDetect).toBe(pairedProportionsN({ alpha: 0.025, power: 0.8, p10: 0, p01: 0.05 }).n);
    expect(rows[0].notes.join(" ")).toMatch(/ψ = 0\.0200 < margin: detection planned at ψ = margin/);
    expect(rows[1]).toMatchObject({ nDetect: null, nEquivalence: null, mdeNow: null, notes: ["no plan: set-level statistic"] });
  });
});

describe("ftledger plan from stated rates", () => {
  it("binary: says how p10 and p01 were derived, prints the row and the summary line", async () => {
    const r = await plan({ metric: "binary", baseRate: "0.6", discordance: "0.2", margin: "0.02", rows: "48", deff: "1.3", n: "200" });
    expect(r.code, r.err).toBe(0);
    const detect = pairedProportionsN({ alpha: 0.05 / 48, power: 0.8, deff: 1.3, p10: 0.09, p01: 0.11 }).n;
    const equivalence = equivalenceProportionsN({ alpha: 0.05 / 48, power: 0.8, deff: 1.3, psi: 0.2, margin: 0.02 }).n;
    expect(r.out).toMatch(/p10 = \(ψ − δ\)\/2 = 0\.0900, p01 = \(ψ \+ δ\)\/2 = 0\.1100/);
    expect(r.out).toMatch(/48 rows: α = 0\.05\/48 = 0\.00104 per row \(Bonferroni; Holm is never stricter\), power 0\.8, design effect 1\.3/);
    expect(r.out).toMatch(new RegExp(`binary \\(stated\\)\\s+binary\\s+2\\.0 pp\\s+200\\s+\\d+\\.\\d pp\\s+${detect}\\s+${equivalence}\\s+1\\.30`));
    expect(lastLine(r.out)).toBe(`plan rows=48 max_n_detect=${detect} max_n_equivalence=${equivalence}`);
  });

  it("continuous, as JSON", async () => {
    const r = await plan({ metric: "continuous", sd: "0.3", margin: "0.05", rows: "48", json: true });
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.schema).toBe("ftledger.plan/1");
    expect(j.ledgers[0]).toMatchObject({ tuned: null, alpha: 0.05, rows_in_family: 48, power: 0.8 });
    expect(j.ledgers[0].rows[0]).toMatchObject({ kind: "continuous", sd: 0.3, n_now: null, mde_now: null, n_detect: pairedMeanN({ alpha: 0.05 / 48, power: 0.8, sd: 0.3, delta: 0.05 }).n });
    expect(j.summary).toEqual({ rows: 48, max_n_detect: j.ledgers[0].rows[0].n_detect, max_n_equivalence: j.ledgers[0].rows[0].n_equivalence });
  });
});

// ── a pilot run in a temporary store ──

const N = 60;

/** 60 items in 20 clusters of 3; a binary row (task.accuracy) and a continuous one (drift.nll) with cluster effects; a set row. */
async function pilotStore(): Promise<{ dir: string; runId: string; items: Item[]; base: ItemRecord[]; tuned: ItemRecord[] }> {
  const dir = await mkdtemp(join(tmpdir(), "ftledger-plan-"));
  const rng = createRng(7);
  const items: Item[] = Array.from({ length: N }, (_, i) => ({ id: `q${String(i).padStart(2, "0")}`, prompt: `p${i}`, answer: "a", domain: "math", cluster: `c${Math.floor(i / 3)}` }));
  const shift = Array.from({ length: N / 3 }, () => 0.1 * rng.normal());
  const base: ItemRecord[] = [];
  const tuned: ItemRecord[] = [];
  items.forEach((it, i) => {
    const right = rng.next() < 0.6 ? 1 : 0;
    const flip = rng.next() < 0.25;
    const nll = 2 + 0.3 * rng.normal();
    base.push({ itemId: it.id, values: { accuracy: right, nll }, detail: {} });
    tuned.push({ itemId: it.id, values: { accuracy: flip ? 1 - right : right, nll: nll + 0.02 + shift[Math.floor(i / 3)] + 0.1 * rng.normal() }, detail: {} });
  });
  const row = (probe: string, metric: string, kind: string, margin: number, extra: object = {}) => ({
    probe, metric, role: "capability", domain: null, kind, unit: kind === "binary" || kind === "set" ? "share" : "nats", margin, n: N,
    formats: { base: "raw", tuned: "raw" }, tuned_in_base_format: false, ...extra,
  });
  const result = {
    schema: "ftledger.audit-result/2",
    ledgers: [{
      tuned: 1, spec: "builtin:zoo/tuned", alpha: 0.05,
      rows: [row("task.accuracy", "accuracy", "binary", 0.02), row("drift", "nll", "continuous", 0.02), row("calibration", "ece", "set", 0.02)],
    }],
  };
  const store = openRunStore(dir);
  try {
    store.beginRun("run-abc123", { pilot: true }, items);
    for (const r of base) {
      store.putRecord("run-abc123", "base", "task.accuracy", r);
      store.putRecord("run-abc123", "base", "drift", r);
    }
    for (const r of tuned) {
      store.putRecord("run-abc123", "tuned1", "task.accuracy", r);
      store.putRecord("run-abc123", "tuned1", "drift", r);
    }
    store.finishRun("run-abc123", result);
    store.beginRun("run-unfinished", {}, items);
  } finally {
    store.close();
  }
  return { dir, runId: "run-abc123", items, base, tuned };
}

describe("ftledger plan from a pilot run", () => {
  it("prints one line per row with ψ / sd and the design effect from the clusters, and the summary line", async () => {
    const s = await pilotStore();
    const r = await plan({ store: s.dir, run: "run-abc", n: "1000" }); // a unique prefix of the id
    expect(r.code, r.err).toBe(0);

    // what the plan must have estimated, from the same records
    const clusters = s.items.map((it) => it.cluster!);
    const level = { alpha: 0.05 / 3, power: 0.8 };
    const dAcc = s.tuned.map((t, i) => (t.values.accuracy as number) - (s.base[i].values.accuracy as number));
    const psi = dAcc.filter((d) => d !== 0).length / N;
    const deffOf = (d: number[]) => designEffect({ clusterSizes: Array(N / 3).fill(3), icc: iccOneWay(d, clusters).icc });
    const accDetect = pairedProportionsN({ ...level, deff: deffOf(dAcc), p10: (psi - 0.02) / 2, p01: (psi + 0.02) / 2 }).n;
    const accEquivalence = equivalenceProportionsN({ ...level, deff: deffOf(dAcc), psi, margin: 0.02 }).n;
    const dNll = s.tuned.map((t, i) => (t.values.nll as number) - (s.base[i].values.nll as number));
    const mean = dNll.reduce((a, x) => a + x, 0) / N;
    const sd = Math.sqrt(dNll.reduce((a, x) => a + (x - mean) ** 2, 0) / (N - 1));
    const nllDeff = deffOf(dNll);
    expect(nllDeff).toBeGreaterThan(1.2); // the cluster shift is there, and seen
    const nllDetect = pairedMeanN({ ...level, deff: nllDeff, sd, delta: 0.02 }).n;
    const nllEquivalence = equivalenceN({ ...level, deff: nllDeff, sd, margin: 0.02 }).n;
    const nllMde = pairedMeanMde({ ...level, deff: nllDeff, sd, n: N }).mde;

    expect(r.out).toMatch(/plan from run run-abc123: tuned #1 \(builtin:zoo\/tuned\)/);
    expect(r.out).toMatch(/3 rows: α = 0\.05\/3 = 0\.0167 per row/);
    expect(r.out).toMatch(/row\s+kind\s+margin\s+n now\s+MDE now\s+MDE @1000\s+n detect\s+n equivalence\s+deff/);
    expect(r.out).toMatch(new RegExp(`task\\.accuracy · accuracy\\s+binary\\s+2\\.0 pp\\s+60\\s+inf\\s+\\S+ pp\\s+${accDetect}\\s+${accEquivalence}\\s+${deffOf(dAcc).toFixed(2)}`));
    expect(r.out).toMatch(new RegExp(`drift · nll\\s+continuous\\s+0\\.020 nats\\s+60\\s+${nllMde.toFixed(3)} nats\\s+\\S+ nats\\s+${nllDetect}\\s+${nllEquivalence}\\s+${nllDeff.toFixed(2)}`));
    expect(r.out).toMatch(/calibration · ece\s+set\s+2\.0 pp\s+60\s+—\s+—\s+—\s+—\s+1\.00/);
    expect(r.out).toMatch(/task\.accuracy · accuracy: even δ = ψ = 0\.\d+ \(every discordant item one way\) is not detected at n = 60/); // at α/3, 60 items detect nothing
    expect(r.out).toMatch(/calibration · ece: no plan: set-level statistic .*use a larger pilot/);
    expect(r.out).toMatch(/drift · nll: design effect \d\.\d{3} from 20 clusters \(ICC 0\.\d{3}\)/);
    expect(lastLine(r.out)).toBe(`plan rows=3 max_n_detect=${Math.max(accDetect, nllDetect)} max_n_equivalence=${Math.max(accEquivalence, nllEquivalence)}`);

    const j = JSON.parse((await plan({ store: s.dir, run: s.runId, json: true, deff: "1" })).out);
    expect(j.ledgers[0].rows.map((x: { label: string }) => x.label)).toEqual(["task.accuracy · accuracy", "drift · nll", "calibration · ece"]);
    expect(j.ledgers[0].rows[1]).toMatchObject({ deff: 1, n_detect: pairedMeanN({ ...level, sd, delta: 0.02 }).n });
    expect(j.summary.rows).toBe(3);
  });

  it("names what is missing and exits 2", async () => {
    const s = await pilotStore();
    const cases: [PlanOptions, RegExp][] = [
      [{}, /give --metric binary\|continuous with its rates, or --store DIR --run ID/],
      [{ metric: "poisson" }, /--metric must be binary or continuous, got "poisson"/],
      [{ metric: "binary", margin: "0.02" }, /--metric binary needs --base-rate[\s\S]*--metric binary needs --discordance/],
      [{ metric: "binary", baseRate: "0.6", discordance: "0.2", margin: "abc" }, /--margin must be a number > 0, got "abc"/],
      [{ metric: "binary", baseRate: "0.6", discordance: "0.2", margin: "" }, /--margin must be a number > 0, got ""/],
      [{ metric: "binary", baseRate: "0.6", discordance: "0.01", margin: "0.02" }, /--margin 0\.02 exceeds --discordance 0\.01: .*raise --discordance or lower --margin/],
      [{ metric: "binary", baseRate: "0.05", discordance: "0.3", margin: "0.02" }, /--discordance 0\.3 is impossible at --base-rate 0\.05/],
      [{ metric: "continuous", sd: "0.3", margin: "0.05", rows: "0" }, /--rows must be an integer ≥ 1, got "0"/],
      [{ metric: "continuous", sd: "0.3", margin: "0.05", power: "0.3" }, /--power must be in \[0\.5, 1\), got "0\.3"/],
      [{ metric: "continuous", sd: "0.3", margin: "0.05", baseRate: "0.5" }, /--base-rate does not apply to --metric continuous/],
      [{ metric: "binary", baseRate: "0.6", discordance: "0.2", margin: "0.02", store: s.dir, run: s.runId }, /either --metric .* or --store\/--run .*not both/],
      [{ store: s.dir }, /--store needs --run ID/],
      [{ store: s.dir, run: s.runId, margin: "0.1" }, /--margin is for stated rates; with --store it comes from each row of the run/],
      [{ store: join(s.dir, "nowhere"), run: "x" }, /--store .*nowhere: no run store there \(no runs\.sqlite\); give the --store of an ftledger audit/],
      [{ store: s.dir, run: "nope" }, /--run nope is not a run in .*; runs there: run-/],
      [{ store: s.dir, run: "run-" }, /--run run- matches 2 runs/],
      [{ store: s.dir, run: "run-unfinished" }, /run run-unfinished has no result yet \(status running\): finish it by running the same ftledger audit again/],
    ];
    for (const [opts, message] of cases) {
      const r = await plan(opts);
      expect(r.code, JSON.stringify(opts)).toBe(2);
      expect(r.err, JSON.stringify(opts)).toMatch(message);
      expect(r.out).toBe("");
    }
  });
});

describe("addPlanCommand", () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  const program = (out: string[]) => {
    const p = new Command().name("ftledger").exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => out.push(s) });
    addPlanCommand(p, { out: (s) => out.push(s), err: (s) => out.push(s) });
    return p;
  };

  it("registers plan with its flags and examples, and runs it", async () => {
    const help: string[] = [];
    await expect(program(help).parseAsync(["plan", "--help"], { from: "user" })).rejects.toBeInstanceOf(CommanderError);
    expect(help.join("")).toMatch(/--discordance <psi>[\s\S]*Examples:\n {2}ftledger plan --metric binary/);

    const out: string[] = [];
    await program(out).parseAsync(["plan", "--metric", "continuous", "--sd", "1", "--margin", "0.5"], { from: "user" });
    expect(process.exitCode).toBe(0);
    expect(out.at(-1)).toBe(`plan rows=1 max_n_detect=34 max_n_equivalence=${equivalenceN({ alpha: 0.05, power: 0.8, sd: 1, margin: 0.5 }).n}`);
  });
});
