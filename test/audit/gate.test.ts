/**
 * The CI gate (src/audit/gate.ts): every rule form parses to what its doc comment says,
 * bad rules are data with a message, and rules fire only on the rows they describe —
 * threshold rules only on significant rows (verdict gained or lost) whose delta crosses.
 */
import { describe, expect, it } from "vitest";
import { evaluateGate, parseGateRule, type GateRule, type Ledger, type LedgerRow } from "../../src/audit/index.js";

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

function row(o: Partial<LedgerRow> & Pick<LedgerRow, "probe" | "metric" | "role" | "delta" | "verdict">): LedgerRow {
  return {
    kind: "binary", unit: "share", higherIsBetter: true, description: "", formats: { base: "raw", tuned: "raw" }, tunedInBaseFormat: false,
    base: 0.5, tuned: 0.5 + o.delta, ciLow: o.delta - 0.01, ciHigh: o.delta + 0.01, p: 0.001, pAdj: 0.002, n: 200,
    hiddenTrade: false, test: "mcnemar-exact", mde: 0.03, margin: 0.01,
    ...o,
  };
}

function ledger(tuned: number, rows: LedgerRow[]): Ledger {
  return { tuned, spec: `builtin:t${tuned}`, modelId: `m${tuned}`, rows, hiddenTrades: [], unavailable: [], adjust: "holm", alpha: 0.05 };
}

describe("parseGateRule", () => {
  it("hidden-trade and lost", () => {
    expect(rule("hidden-trade")).toEqual({ text: "hidden-trade", kind: "hidden-trade" });
    const lost = rule(" lost ");
    expect(lost).toEqual({ text: "lost", kind: "lost", selector: /.*/ });
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

  it("bad rules are errors with a message that says what to use", () => {
    expect(parseError("fail-on-everything")).toBe('--fail-on "fail-on-everything" is not a rule; use hidden-trade, lost, lost:SELECTOR, or SELECTOR<VALUE (e.g. "capability.*<-2%")');
    expect(parseError("capability.*<")).toMatch(/is not a rule; use hidden-trade/);
    expect(parseError("capability.*<abc")).toMatch(/is not a rule/);
    expect(parseError("lost:accuracy")).toMatch(/^--fail-on "lost:accuracy": selector "accuracy" must be ROLE\.PROBE\.METRIC/);
    expect(parseError("lost:")).toMatch(/selector "" must be ROLE\.PROBE\.METRIC/);
    expect(parseError("judge.*<-2%")).toMatch(/^--fail-on "judge\.\*<-2%": selector "judge\.\*" must be ROLE\.PROBE\.METRIC with ROLE proxy, capability or \*/);
    expect(parseError("capability.a b<1")).toMatch(/selector "capability\.a b"/);
  });
});

describe("evaluateGate", () => {
  const capLost = row({ probe: "task.accuracy", metric: "accuracy", role: "capability", delta: -0.05, verdict: "lost" });
  const capInconclusive = row({ probe: "task.retention", metric: "accuracy", role: "capability", delta: -0.05, verdict: "inconclusive", pAdj: 0.2 });
  const proxyLost = row({ probe: "task.format", metric: "compliance", role: "proxy", delta: -0.05, verdict: "lost" });

  it("capability.*<-2% fires for a lost capability row at -0.05, not an inconclusive one, not a proxy row", () => {
    const g = evaluateGate([rule("capability.*<-2%")], [ledger(1, [capLost, capInconclusive, proxyLost])]);
    expect(g).toEqual({
      rules: ["capability.*<-2%"],
      passed: false,
      failures: [{ rule: "capability.*<-2%", tuned: 1, rows: [{ probe: "task.accuracy", metric: "accuracy", delta: -0.05, verdict: "lost" }] }],
    });
  });

  it("a threshold the delta does not cross does not fire, even on a significant row", () => {
    expect(evaluateGate([rule("capability.*<-10%")], [ledger(1, [capLost])]).passed).toBe(true);
    expect(evaluateGate([rule("capability.*<=-0.05")], [ledger(1, [capLost])]).passed).toBe(false);
    expect(evaluateGate([rule("capability.*<-0.05")], [ledger(1, [capLost])]).passed).toBe(true);
    const gained = row({ probe: "p", metric: "m", role: "proxy", delta: 0.1, verdict: "gained" });
    const unchanged = row({ probe: "p", metric: "u", role: "proxy", delta: 0.3, verdict: "unchanged" });
    const g = evaluateGate([rule("proxy.*>=0.1")], [ledger(1, [gained, unchanged])]);
    expect(g.failures).toEqual([{ rule: "proxy.*>=0.1", tuned: 1, rows: [{ probe: "p", metric: "m", delta: 0.1, verdict: "gained" }] }]);
    expect(evaluateGate([rule("proxy.*>0.1")], [ledger(1, [gained])]).passed).toBe(true);
  });

  it("a NaN delta never crosses a threshold", () => {
    const nan = row({ probe: "p", metric: "m", role: "capability", delta: NaN, verdict: "lost" });
    expect(evaluateGate([rule("capability.*<0")], [ledger(1, [nan])]).passed).toBe(true);
  });

  it("lost and lost:SELECTOR fire on lost rows only, whatever the delta", () => {
    const rows = [capLost, capInconclusive, proxyLost];
    expect(evaluateGate([rule("lost")], [ledger(1, rows)]).failures[0].rows.map((r) => r.probe)).toEqual(["task.accuracy", "task.format"]);
    expect(evaluateGate([rule("lost:proxy.*")], [ledger(1, rows)]).failures[0].rows.map((r) => r.probe)).toEqual(["task.format"]);
    expect(evaluateGate([rule("lost:capability.task.retention.*")], [ledger(1, rows)]).passed).toBe(true);
  });

  it("hidden-trade fires on the flagged rows, per tuned model, and keeps the domain", () => {
    const proxy = row({ probe: "diversity", metric: "compliance", role: "proxy", domain: "code", delta: 0.2, verdict: "gained", hiddenTrade: true });
    const cap = row({ probe: "diversity", metric: "distinct", role: "capability", domain: "code", delta: -0.2, verdict: "lost", hiddenTrade: true });
    const g = evaluateGate([rule("hidden-trade"), rule("lost")], [ledger(1, [capInconclusive]), ledger(2, [proxy, cap])]);
    expect(g.rules).toEqual(["hidden-trade", "lost"]);
    expect(g.passed).toBe(false);
    expect(g.failures).toEqual([
      { rule: "hidden-trade", tuned: 2, rows: [
        { probe: "diversity", metric: "compliance", domain: "code", delta: 0.2, verdict: "gained" },
        { probe: "diversity", metric: "distinct", domain: "code", delta: -0.2, verdict: "lost" },
      ] },
      { rule: "lost", tuned: 2, rows: [{ probe: "diversity", metric: "distinct", domain: "code", delta: -0.2, verdict: "lost" }] },
    ]);
  });

  it("no rules, or no matching rows, pass", () => {
    expect(evaluateGate([], [ledger(1, [capLost])])).toEqual({ rules: [], passed: true, failures: [] });
    expect(evaluateGate([rule("hidden-trade")], [ledger(1, [capLost, proxyLost])]).passed).toBe(true);
  });
});

describe("percentage rules match share rows only", () => {
  const nats = row({ probe: "drift", metric: "kl", role: "capability", unit: "nats", delta: -3, verdict: "lost" });
  const count = row({ probe: "length", metric: "tokens", role: "capability", unit: "number", delta: -40, verdict: "lost" });
  const share = row({ probe: "task.accuracy", metric: "accuracy", role: "capability", delta: -0.05, verdict: "lost" });

  it("a % rule does not fire on a nats or number row, however big and significant the drop", () => {
    expect(evaluateGate([rule("capability.*<-2%")], [ledger(1, [nats, count])])).toEqual({ rules: ["capability.*<-2%"], passed: true, failures: [] });
  });

  it("a % rule fires on the share row only, among mixed units", () => {
    expect(evaluateGate([rule("capability.*<-2%")], [ledger(1, [share, nats, count])]).failures).toEqual([
      { rule: "capability.*<-2%", tuned: 1, rows: [{ probe: "task.accuracy", metric: "accuracy", delta: -0.05, verdict: "lost" }] },
    ]);
  });

  it("a plain-number rule fires on rows of any unit", () => {
    expect(evaluateGate([rule("capability.drift.*<-0.5")], [ledger(1, [share, nats])]).failures).toEqual([
      { rule: "capability.drift.*<-0.5", tuned: 1, rows: [{ probe: "drift", metric: "kl", delta: -3, verdict: "lost" }] },
    ]);
    expect(evaluateGate([rule("capability.*<-0.02")], [ledger(1, [share, nats, count])]).failures[0].rows.map((r) => r.metric)).toEqual(["accuracy", "kl", "tokens"]);
  });

  it("lost:SELECTOR is unit-blind", () => {
    expect(evaluateGate([rule("lost:capability.drift.*")], [ledger(1, [nats])]).passed).toBe(false);
  });
});

describe("threshold rules read the change in the metric's good direction", () => {
  it('"capability.*<-2%" fires on a lower-is-better share metric that rose (got worse), not on one that fell (got better)', () => {
    const worse = row({ probe: "calibration", metric: "ece", role: "capability", delta: 0.05, verdict: "lost", higherIsBetter: false });
    const better = row({ probe: "generalisation.n1", metric: "n1-gap", role: "capability", delta: -0.05, verdict: "gained", higherIsBetter: false });
    const r = evaluateGate([rule("capability.*<-2%")], [ledger(1, [worse, better])]);
    expect(r.failures.flatMap((f) => f.rows.map((x) => x.metric))).toEqual(["ece"]);
  });
});
