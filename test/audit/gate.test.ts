/**
 * The CI gate (src/audit/gate.ts): every rule form parses to what its doc comment says,
 * bad rules are data with a message, and rules fire only on the rows they describe.
 * Threshold rules are non-inferiority tests: a row passes "capability.*<-2%" only when
 * its change is shown to be above −2 points; the ":significant" form keeps the older
 * meaning (fail only on significant crossings).
 */
import { describe, expect, it } from "vitest";
import { evaluateGate, parseGateRule, type GateRule, type Ledger, type LedgerRow } from "../../src/audit/index.js";
import { pairedMeanDifference, pairedProportions, tostP, twoSidedP, type PairedInference } from "../../src/stats/index.js";

function rule(text: string): GateRule {
  const r = parseGateRule(text);
  if (!r.ok) throw new Error(`expected "${text}" to parse: ${r.error}`);
  return r.value;
}

function parseError(text: string): string {
  const r = parseGateRule(text);
  if (r.ok) throw new Error(`expected "${text}" not to parse`);
  return r.error;
}

/** n items: b lost (base right, tuned wrong), c gained, the rest right in both. */
function binary(b: number, c: number, n: number): PairedInference {
  const base: number[] = [];
  const tuned: number[] = [];
  for (let i = 0; i < n; i++) {
    base.push(i < b ? 1 : i < b + c ? 0 : 1);
    tuned.push(i < b ? 0 : 1);
  }
  return pairedProportions(base, tuned);
}

/** A row over `inf`: the verdict is given (the gate reads verdicts and intervals, not the ledger's rules). */
function row(o: Partial<LedgerRow> & Pick<LedgerRow, "probe" | "metric" | "role" | "verdict"> & { inf: PairedInference }): LedgerRow {
  const { inf, ...rest } = o;
  const p = twoSidedP(inf);
  return {
    kind: "binary", unit: "share", higherIsBetter: true, description: "", formats: { base: "raw", tuned: "raw" }, tunedInBaseFormat: false,
    base: 0.5, tuned: 0.5 + inf.estimate, delta: inf.estimate, ciLow: NaN, ciHigh: NaN, ciLevel: 0.95, p, pAdj: p, pTost: tostP(inf, 0.01), pTostAdj: 1,
    significant: p < 0.05, n: inf.n, clusters: inf.clusters, hiddenTrade: false, test: inf.method, mde: 0.03, margin: 0.01, inference: inf,
    ...rest,
  };
}

function ledger(tuned: number, rows: LedgerRow[]): Ledger {
  return { tuned, spec: `builtin:t${tuned}`, modelId: `m${tuned}`, rows, hiddenTrades: [], unavailable: [], adjust: "holm", alpha: 0.05 };
}

const failed = (g: ReturnType<typeof evaluateGate>) => g.failures.flatMap((f) => f.rows.map((r) => `${f.tuned}:${r.probe}.${r.metric}`));

describe("parseGateRule", () => {
  it("hidden-trade and lost", () => {
    expect(rule("hidden-trade")).toEqual({ text: "hidden-trade", kind: "hidden-trade" });
    const lost = rule(" lost ");
    expect(lost).toMatchObject({ text: "lost", kind: "lost", selector: { source: "*" } });
  });

  it("lost:SELECTOR matches ROLE.PROBE.METRIC with * for any text", () => {
    const r = rule("lost:capability.*");
    if (r.kind !== "lost") throw new Error("kind");
    expect(r.selector.test("capability.task.accuracy.accuracy")).toBe(true);
    expect(r.selector.test("proxy.task.accuracy.accuracy")).toBe(false);
    const f = rule("lost:*.faithfulness.*");
    if (f.kind !== "lost") throw new Error("kind");
    expect(f.selector.test("proxy.faithfulness.early-answering.aoc")).toBe(true);
    expect(f.selector.test("proxy.task.faithfulnessX")).toBe(false);
    // dots are literal: "task.accuracy" does not match "taskXaccuracy"
    const exact = rule("lost:proxy.task.accuracy.accuracy");
    if (exact.kind !== "lost") throw new Error("kind");
    expect(exact.selector.test("proxy.task.accuracy.accuracy")).toBe(true);
    expect(exact.selector.test("proxy.taskXaccuracy.accuracy")).toBe(false);
  });

  it("SELECTOR<VALUE, <=, >, >= with plain numbers", () => {
    expect(rule("proxy.task.accuracy.accuracy<0.1")).toMatchObject({ kind: "threshold", op: "<", value: 0.1, percent: false });
    expect(rule("capability.*<=-0.5")).toMatchObject({ kind: "threshold", op: "<=", value: -0.5, percent: false });
    expect(rule("*.drift.*>1e-3")).toMatchObject({ kind: "threshold", op: ">", value: 0.001, percent: false });
    expect(rule("capability.* >= .25")).toMatchObject({ text: "capability.* >= .25", kind: "threshold", op: ">=", value: 0.25, percent: false });
  });

  it("a percentage is a share: -2% is -0.02", () => {
    const r = rule("capability.*<-2%");
    expect(r).toMatchObject({ text: "capability.*<-2%", kind: "threshold", op: "<", value: -0.02, percent: true });
    if (r.kind !== "threshold") throw new Error("kind");
    expect(r.selector.test("capability.task.accuracy.accuracy")).toBe(true);
    expect(r.selector.test("proxy.task.accuracy.accuracy")).toBe(false);
  });

  it("the :significant form", () => {
    expect(rule("capability.*<-2%:significant")).toMatchObject({ kind: "threshold", op: "<", value: -0.02, percent: true, significant: true });
    expect(rule("capability.*<-2%")).toMatchObject({ significant: false });
  });

  it("bad rules are errors with a message that says what to use", () => {
    expect(parseError("fail-on-everything")).toBe('--fail-on "fail-on-everything" is not a rule; use hidden-trade, lost, lost:SELECTOR, SELECTOR<VALUE (e.g. "capability.*<-2%") or SELECTOR<VALUE:significant');
    expect(parseError("capability.*<")).toMatch(/is not a rule; use hidden-trade/);
    expect(parseError("capability.*<abc")).toMatch(/is not a rule/);
    expect(parseError("capability.*<-2%:sig")).toMatch(/is not a rule/);
    expect(parseError("lost:accuracy")).toMatch(/^--fail-on "lost:accuracy": selector "accuracy" must be ROLE\.PROBE\.METRIC/);
    expect(parseError("lost:")).toMatch(/selector "" must be ROLE\.PROBE\.METRIC/);
    expect(parseError("judge.*<-2%")).toMatch(/^--fail-on "judge\.\*<-2%": selector "judge\.\*" must be ROLE\.PROBE\.METRIC with ROLE proxy, capability or \*/);
    expect(parseError("capability.a b<1")).toMatch(/selector "capability\.a b"/);
  });
});

describe("non-inferiority: capability.*<-2%", () => {
  // 1000 items, no change: the interval is ±0.4 pp, so "not worse than −2 pp" is shown
  const steady = row({ probe: "task.retention", metric: "closed-book", role: "capability", verdict: "equivalent", inf: binary(0, 0, 1000) });
  // a real 10-point loss at n = 20 (2 lost of 20), not significant: the old rule passed it
  const unseen = row({ probe: "task.accuracy", metric: "accuracy", role: "capability", verdict: "inconclusive", inf: binary(2, 0, 20) });
  // a proxy row is not matched by capability.*
  const proxy = row({ probe: "task.format", metric: "compliance", role: "proxy", verdict: "inconclusive", inf: binary(2, 0, 20) });

  it("passes a row whose lower bound is above −2 pp; fails one that cannot show it, naming the bound", () => {
    const g = evaluateGate([rule("capability.*<-2%")], [ledger(1, [steady, unseen, proxy])]);
    expect(failed(g)).toEqual(["1:task.accuracy.accuracy"]);
    const r = g.failures[0].rows[0];
    expect(r.reason).toMatch(/^non-inferiority not shown: the lower 9\d\.\d% bound of the change is -\d+\.\d pp \(threshold -2\.0 pp; p_adj /);
    expect(r.bound).toBeLessThan(-0.1);
    expect(evaluateGate([rule("capability.*<-2%")], [ledger(1, [steady])]).passed).toBe(true);
  });

  it("the :significant form keeps the older meaning and passes the unseen loss", () => {
    expect(evaluateGate([rule("capability.*<-2%:significant")], [ledger(1, [steady, unseen])]).passed).toBe(true);
    const lost = row({ probe: "task.accuracy", metric: "accuracy", role: "capability", verdict: "lost", inf: binary(30, 0, 200) });
    expect(failed(evaluateGate([rule("capability.*<-2%:significant")], [ledger(1, [lost])]))).toEqual(["1:task.accuracy.accuracy"]);
    expect(evaluateGate([rule("capability.*<-20%:significant")], [ledger(1, [lost])]).passed).toBe(true);
  });

  it("reads the change in the metric's good direction: a lower-is-better metric that rose is worse", () => {
    // ECE-like share metric, lower is better: Δ = +0.15 on 1000 items (tuned worse), and Δ = −0.15 (better)
    const worse = row({ probe: "calibration", metric: "ece", role: "capability", verdict: "lost", higherIsBetter: false, inf: binary(0, 150, 1000) });
    const better = row({ probe: "generalisation.n1", metric: "n1-gap", role: "capability", verdict: "gained", higherIsBetter: false, inf: binary(150, 0, 1000) });
    expect(failed(evaluateGate([rule("capability.*<-2%")], [ledger(1, [worse, better])]))).toEqual(["1:calibration.ece"]);
  });

  it("the mirror, proxy.*>5%: fails unless the change is shown below 5 points", () => {
    const small = row({ probe: "p", metric: "m", role: "proxy", verdict: "equivalent", inf: binary(0, 0, 1000) });
    const big = row({ probe: "p", metric: "big", role: "proxy", verdict: "gained", inf: binary(0, 200, 1000) });
    expect(failed(evaluateGate([rule("proxy.*>5%")], [ledger(1, [small, big])]))).toEqual(["1:p.big"]);
  });

  it("a row that cannot be tested is listed as untested and does not fail the rule", () => {
    const none = row({ probe: "p", metric: "m", role: "capability", verdict: "inconclusive", inf: pairedMeanDifference([], [], undefined, { seed: 1 }), unit: "share" });
    const g = evaluateGate([rule("capability.*<-2%")], [ledger(1, [none])]);
    expect(g.passed).toBe(true);
    expect(g.untested).toEqual([{ rule: "capability.*<-2%", tuned: 1, rows: [{ probe: "p", metric: "m", reason: "no item has this value for both models" }] }]);
  });
});

describe("percentage rules match share rows only", () => {
  const drop = binary(0, 0, 20);
  const nats = row({ probe: "drift", metric: "kl", role: "capability", unit: "nats", verdict: "inconclusive", inf: drop });
  const count = row({ probe: "length", metric: "tokens", role: "capability", unit: "number", verdict: "inconclusive", inf: drop });
  const share = row({ probe: "task.accuracy", metric: "accuracy", role: "capability", verdict: "inconclusive", inf: drop });

  it("a % rule does not look at nats or number rows; a plain-number rule looks at any unit", () => {
    expect(evaluateGate([rule("capability.*<-2%")], [ledger(1, [nats, count])]).passed).toBe(true);
    expect(failed(evaluateGate([rule("capability.*<-2%")], [ledger(1, [share, nats, count])]))).toEqual(["1:task.accuracy.accuracy"]);
    expect(failed(evaluateGate([rule("capability.*<-0.02")], [ledger(1, [share, nats, count])]))).toEqual(["1:task.accuracy.accuracy", "1:drift.kl", "1:length.tokens"]);
  });
});

describe("lost and hidden trades", () => {
  const capLost = row({ probe: "task.accuracy", metric: "accuracy", role: "capability", verdict: "lost", inf: binary(30, 0, 200) });
  const capInconclusive = row({ probe: "task.retention", metric: "accuracy", role: "capability", verdict: "inconclusive", inf: binary(2, 0, 20) });
  const proxyLost = row({ probe: "task.format", metric: "compliance", role: "proxy", verdict: "lost", inf: binary(30, 0, 200) });

  it("lost and lost:SELECTOR fire on lost rows only", () => {
    const rows = [capLost, capInconclusive, proxyLost];
    expect(evaluateGate([rule("lost")], [ledger(1, rows)]).failures[0].rows.map((r) => r.probe)).toEqual(["task.accuracy", "task.format"]);
    expect(evaluateGate([rule("lost:proxy.*")], [ledger(1, rows)]).failures[0].rows.map((r) => r.probe)).toEqual(["task.format"]);
    expect(evaluateGate([rule("lost:capability.task.retention.*")], [ledger(1, rows)]).passed).toBe(true);
  });

  it("hidden-trade fires on the flagged rows, per tuned model, and keeps the domain", () => {
    const proxy = row({ probe: "diversity", metric: "compliance", role: "proxy", domain: "code", verdict: "gained", hiddenTrade: true, inf: binary(0, 40, 200) });
    const cap = row({ probe: "diversity", metric: "distinct", role: "capability", domain: "code", verdict: "lost", hiddenTrade: true, inf: binary(40, 0, 200) });
    const g = evaluateGate([rule("hidden-trade"), rule("lost")], [ledger(1, [capInconclusive]), ledger(2, [proxy, cap])]);
    expect(g.rules).toEqual(["hidden-trade", "lost"]);
    expect(g.passed).toBe(false);
    expect(g.failures.map((f) => [f.rule, f.tuned, f.rows.map((r) => [r.metric, r.domain, r.verdict])])).toEqual([
      ["hidden-trade", 2, [["compliance", "code", "gained"], ["distinct", "code", "lost"]]],
      ["lost", 2, [["distinct", "code", "lost"]]],
    ]);
  });

  it("no rules, or no matching rows, pass", () => {
    expect(evaluateGate([], [ledger(1, [capLost])])).toEqual({ rules: [], passed: true, failures: [], untested: [] });
    expect(evaluateGate([rule("hidden-trade")], [ledger(1, [capLost, proxyLost])]).passed).toBe(true);
  });
});
