/**
 * `--fail-on RULE`: the CI gate. A rule fails the audit (exit 1) when a ledger row
 * matches it; a rule that does not parse is bad input (exit 2).
 *
 *   hidden-trade              any probe's proxy gained while its capability lost
 *   lost                      any row lost (significant after adjustment, beyond its margin)
 *   lost:SELECTOR             a matching row lost
 *   SELECTOR<VALUE            non-inferiority: each matching row must SHOW that its change in
 *                             the good direction is above VALUE (negative = worse), or the gate
 *                             fails. "capability.*<-2%" passes only where the lower bound of
 *                             the change is above −2 points — a drop too small to detect at the
 *                             run's n fails it, rather than passing unseen. One-sided tests,
 *                             Holm-adjusted across the rows the rule matches in a ledger.
 *   SELECTOR>VALUE            the mirror: each matching row must show its change is below VALUE
 *   SELECTOR<VALUE:significant  the older meaning: fail only where the change is significant
 *                             (adjusted p < α) and past VALUE (a gate that does not flap on
 *                             noise, and passes what the run cannot see)
 *
 * SELECTOR matches `ROLE.PROBE.METRIC` (role: proxy | capability), with `*` for any text:
 * `capability.*`, `*.faithfulness.*`, `proxy.task.accuracy.accuracy`. VALUE is a number
 * in the metric's unit, or a percentage (`-2%` = −0.02 = two percentage points), which
 * applies to share metrics only: rows in other units (nats, AOC) are not matched by it.
 * Rows that cannot be tested (no items in common, too few for an interval) are listed in
 * the result's `untested`, and do not fail a rule on their own.
 */
import { confidenceBound, holm } from "../stats/index.js";
import type { Ledger, LedgerRow } from "./ledger.js";
import { wildcard, type Selector } from "./wildcard.js";

export type GateRule =
  | { text: string; kind: "hidden-trade" }
  | { text: string; kind: "lost"; selector: Selector }
  | { text: string; kind: "threshold"; selector: Selector; op: "<" | "<=" | ">" | ">="; value: number; percent: boolean; significant: boolean };

/** A row that broke a rule, and why. */
export interface GateRowFailure {
  probe: string;
  metric: string;
  domain?: string;
  delta: number;
  verdict: string;
  /** Why the row fails the rule, in words. */
  reason: string;
  /** Threshold rules: the one-sided bound of the change in its good direction, and the level it is at. */
  bound?: number;
  level?: number;
}

export interface GateFailure {
  rule: string;
  tuned: number;
  rows: GateRowFailure[];
}

export interface GateResult {
  rules: string[];
  passed: boolean;
  failures: GateFailure[];
  /** Rows a threshold rule matched but could not test (p undefined). */
  untested: { rule: string; tuned: number; rows: { probe: string; metric: string; domain?: string; reason: string }[] }[];
}

function selectorOf(text: string): Selector | string {
  if (!/^(proxy|capability|\*)\.[A-Za-z0-9_.*@-]+$/.test(text)) {
    return `selector "${text}" must be ROLE.PROBE.METRIC with ROLE proxy, capability or *, and * for any text (e.g. capability.*)`;
  }
  return wildcard(text);
}

const USAGE = 'use hidden-trade, lost, lost:SELECTOR, SELECTOR<VALUE (e.g. "capability.*<-2%") or SELECTOR<VALUE:significant';

export function parseGateRule(text: string): { ok: true; value: GateRule } | { ok: false; error: string } {
  const t = text.trim();
  if (t === "hidden-trade") return { ok: true, value: { text: t, kind: "hidden-trade" } };
  if (t === "lost") return { ok: true, value: { text: t, kind: "lost", selector: wildcard("*") } };
  if (t.startsWith("lost:")) {
    const s = selectorOf(t.slice(5));
    return typeof s === "string" ? { ok: false, error: `--fail-on "${text}": ${s}` } : { ok: true, value: { text: t, kind: "lost", selector: s } };
  }
  const m = /^(.+?)(<=|>=|<|>)\s*([-+]?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)(%?)(:significant)?$/.exec(t);
  if (!m) return { ok: false, error: `--fail-on "${text}" is not a rule; ${USAGE}` };
  const s = selectorOf(m[1].trim());
  if (typeof s === "string") return { ok: false, error: `--fail-on "${text}": ${s}` };
  const percent = m[4] === "%";
  const value = Number(m[3]) / (percent ? 100 : 1);
  // "1e999" matches the number pattern but is Infinity, a threshold no row can be tested against
  if (!Number.isFinite(value)) return { ok: false, error: `--fail-on "${text}": the threshold ${m[3]}${m[4]} is not a finite number; give a value such as -2% or -0.05` };
  return { ok: true, value: { text: t, kind: "threshold", selector: s, op: m[2] as "<" | "<=" | ">" | ">=", value, percent, significant: m[5] !== undefined } };
}

function compare(x: number, op: "<" | "<=" | ">" | ">=", v: number): boolean {
  return op === "<" ? x < v : op === "<=" ? x <= v : op === ">" ? x > v : x >= v;
}

/** The change in the metric's good direction: the delta, negated for lower-is-better metrics. */
export const improvement = (r: Pick<LedgerRow, "delta" | "higherIsBetter">) => (r.higherIsBetter ? r.delta : -r.delta);

/** The names a selector is matched against: the row's probe, and every probe that shares the row (MetricSpec.shared). */
const keysOf = (r: LedgerRow) => [r.probe, ...(r.sharedBy ?? [])].map((probe) => `${r.role}.${probe}.${r.metric}`);
const matches = (selector: Selector, r: LedgerRow) => keysOf(r).some((k) => selector.test(k));

const rowKey = (r: LedgerRow) => ({ probe: r.probe, metric: r.metric, ...(r.domain ? { domain: r.domain } : {}) });
const failure = (r: LedgerRow, reason: string, extra: Partial<GateRowFailure> = {}): GateRowFailure => ({ ...rowKey(r), delta: r.delta, verdict: r.verdict, reason, ...extra });

const pct = (r: LedgerRow, x: number) => (r.unit === "share" ? `${(100 * x).toFixed(1)} pp` : x.toFixed(3));

/**
 * p-value of "the change in the good direction is on the wrong side of `value`", one-sided:
 * for op < (fail if it is below): H0 improvement ≤ value; for op > : H0 improvement ≥ value.
 */
function oneSidedP(r: LedgerRow, below: boolean, value: number): number {
  const inf = r.inference;
  if (below) return r.higherIsBetter ? inf.pGreater(value) : inf.pLess(-value);
  return r.higherIsBetter ? inf.pLess(value) : inf.pGreater(-value);
}

/** The one-sided bound of the improvement at `level`: its lower bound for op <, its upper bound for op >. */
function improvementBound(r: LedgerRow, below: boolean, level: number): number {
  const side = below === r.higherIsBetter ? "lower" : "upper";
  const b = confidenceBound(r.inference, level, side);
  return r.higherIsBetter ? b : -b;
}

/** Threshold rule: the rows whose non-inferiority (or the mirror) is not shown, Holm-adjusted across the matched rows. */
function brokenThreshold(rule: Extract<GateRule, { kind: "threshold" }>, rows: readonly LedgerRow[], alpha: number) {
  const matched = rows.filter((r) => matches(rule.selector, r) && (!rule.percent || r.unit === "share"));
  const below = rule.op === "<" || rule.op === "<=";
  if (rule.significant) {
    const failed = matched.filter((r) => r.significant && Number.isFinite(r.delta) && compare(improvement(r), rule.op, rule.value));
    return { failed: failed.map((r) => failure(r, `significant (p_adj ${r.pAdj.toPrecision(2)}) and its change ${pct(r, improvement(r))} is ${rule.op} ${pct(r, rule.value)}`)), untested: [] };
  }
  const testable = (r: LedgerRow) => !r.inference.problem && !r.inference.degenerate && Number.isFinite(r.delta);
  const tested = matched.filter(testable);
  const untested = matched.filter((r) => !testable(r)).map((r) => ({
    ...rowKey(r), reason: r.inference.degenerate ? "every item changed by the same amount: no spread to bound the change with" : r.note ?? r.inference.problem ?? "no test",
  }));
  const ps = tested.map((r) => oneSidedP(r, below, rule.value));
  const adjusted = holm(ps);
  const failed: GateRowFailure[] = [];
  tested.forEach((r, i) => {
    if (adjusted[i] < alpha) return;
    const level = 1 - Math.min(alpha, adjusted[i] > 0 ? (alpha * ps[i]) / adjusted[i] : alpha);
    const bound = improvementBound(r, below, level);
    const what = below ? "non-inferiority not shown" : "not shown to stay below the threshold";
    failed.push(failure(r, `${what}: the ${below ? "lower" : "upper"} ${(100 * level).toFixed(1)}% bound of the change is ${pct(r, bound)} (threshold ${pct(r, rule.value)}; p_adj ${adjusted[i].toPrecision(2)})`, { bound, level }));
  });
  return { failed, untested };
}

/** Rows that break one rule. */
function broken(rule: GateRule, rows: readonly LedgerRow[], alpha: number): { failed: GateRowFailure[]; untested: { probe: string; metric: string; domain?: string; reason: string }[] } {
  switch (rule.kind) {
    case "hidden-trade":
      return { failed: rows.filter((r) => r.hiddenTrade).map((r) => failure(r, `hidden trade: ${r.role} ${r.verdict}`)), untested: [] };
    case "lost":
      return { failed: rows.filter((r) => r.verdict === "lost" && matches(rule.selector, r)).map((r) => failure(r, "lost: significant and beyond its margin in the bad direction")), untested: [] };
    case "threshold":
      return brokenThreshold(rule, rows, alpha);
  }
}

export function evaluateGate(rules: readonly GateRule[], ledgers: readonly Ledger[]): GateResult {
  const failures: GateFailure[] = [];
  const untested: GateResult["untested"] = [];
  for (const rule of rules) {
    for (const l of ledgers) {
      const r = broken(rule, l.rows, l.alpha);
      if (r.untested.length > 0) untested.push({ rule: rule.text, tuned: l.tuned, rows: r.untested });
      if (r.failed.length > 0) failures.push({ rule: rule.text, tuned: l.tuned, rows: r.failed });
    }
  }
  return { rules: rules.map((r) => r.text), passed: failures.length === 0, failures, untested };
}
