/**
 * `--fail-on RULE`: the CI gate. A rule fails the audit (exit 1) when a ledger row
 * matches it; a rule that does not parse is bad input (exit 2).
 *
 *   hidden-trade              any probe's proxy gained while its capability lost
 *   lost                      any row lost (significant after adjustment, the bad direction)
 *   lost:SELECTOR             a matching row lost
 *   SELECTOR<VALUE            a matching row changed by less than VALUE in its good direction
 *                             (negative = worse) and significantly: "capability.*<-2%" =
 *                             a capability got significantly worse by more than 2 points,
 *                             for higher-is-better and lower-is-better metrics alike
 *   SELECTOR>VALUE            … by more than VALUE (also <= and >=)
 *
 * SELECTOR matches `ROLE.PROBE.METRIC` (role: proxy | capability), with `*` for any text:
 * `capability.*`, `*.faithfulness.*`, `proxy.task.accuracy.accuracy`. VALUE is a number
 * in the metric's unit, or a percentage (`-2%` = −0.02 = two percentage points), which
 * applies to share metrics only: rows in other units (nats, AOC) are not matched by it.
 * NOTE: threshold rules require significance (the adjusted p below α), so a gate does
 * not flap on noise; a drop too small to detect at the run's n passes (the row's MDE says
 * how small that is).
 */
import type { Ledger, LedgerRow } from "./ledger.js";

export type GateRule =
  | { text: string; kind: "hidden-trade" }
  | { text: string; kind: "lost"; selector: RegExp }
  | { text: string; kind: "threshold"; selector: RegExp; op: "<" | "<=" | ">" | ">="; value: number; percent: boolean };

export interface GateFailure {
  rule: string;
  tuned: number;
  rows: { probe: string; metric: string; domain?: string; delta: number; verdict: string }[];
}

export interface GateResult {
  rules: string[];
  passed: boolean;
  failures: GateFailure[];
}

function selectorOf(text: string): RegExp | string {
  if (!/^(proxy|capability|\*)\.[A-Za-z0-9_.*@-]+$/.test(text)) {
    return `selector "${text}" must be ROLE.PROBE.METRIC with ROLE proxy, capability or *, and * for any text (e.g. capability.*)`;
  }
  const escaped = text.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

const USAGE = 'use hidden-trade, lost, lost:SELECTOR, or SELECTOR<VALUE (e.g. "capability.*<-2%")';

export function parseGateRule(text: string): { ok: true; value: GateRule } | { ok: false; error: string } {
  const t = text.trim();
  if (t === "hidden-trade") return { ok: true, value: { text: t, kind: "hidden-trade" } };
  if (t === "lost") return { ok: true, value: { text: t, kind: "lost", selector: /.*/ } };
  if (t.startsWith("lost:")) {
    const s = selectorOf(t.slice(5));
    return typeof s === "string" ? { ok: false, error: `--fail-on "${text}": ${s}` } : { ok: true, value: { text: t, kind: "lost", selector: s } };
  }
  const m = /^(.+?)(<=|>=|<|>)\s*(-?[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)(%?)$/.exec(t);
  if (!m) return { ok: false, error: `--fail-on "${text}" is not a rule; ${USAGE}` };
  const s = selectorOf(m[1].trim());
  if (typeof s === "string") return { ok: false, error: `--fail-on "${text}": ${s}` };
  const percent = m[4] === "%";
  const value = Number(m[3]) / (percent ? 100 : 1);
  return { ok: true, value: { text: t, kind: "threshold", selector: s, op: m[2] as "<" | "<=" | ">" | ">=", value, percent } };
}

function compare(x: number, op: "<" | "<=" | ">" | ">=", v: number): boolean {
  return op === "<" ? x < v : op === "<=" ? x <= v : op === ">" ? x > v : x >= v;
}

/** The change in the metric's good direction: the delta, negated for lower-is-better metrics. */
export const improvement = (r: Pick<LedgerRow, "delta" | "higherIsBetter">) => (r.higherIsBetter ? r.delta : -r.delta);

/** The names a selector is matched against: the row's probe, and every probe that shares the row (MetricSpec.shared). */
const keysOf = (r: LedgerRow) => [r.probe, ...(r.sharedBy ?? [])].map((probe) => `${r.role}.${probe}.${r.metric}`);
const matches = (selector: RegExp, r: LedgerRow) => keysOf(r).some((k) => selector.test(k));
const significant = (r: LedgerRow) => r.verdict === "gained" || r.verdict === "lost";

/** Rows that break one rule. */
function broken(rule: GateRule, rows: readonly LedgerRow[]): LedgerRow[] {
  switch (rule.kind) {
    case "hidden-trade":
      return rows.filter((r) => r.hiddenTrade);
    case "lost":
      return rows.filter((r) => r.verdict === "lost" && matches(rule.selector, r));
    case "threshold":
      return rows.filter((r) => matches(rule.selector, r) && (!rule.percent || r.unit === "share") && significant(r) && Number.isFinite(r.delta) && compare(improvement(r), rule.op, rule.value));
  }
}

export function evaluateGate(rules: readonly GateRule[], ledgers: readonly Ledger[]): GateResult {
  const failures: GateFailure[] = [];
  for (const rule of rules) {
    for (const l of ledgers) {
      const rows = broken(rule, l.rows);
      if (rows.length === 0) continue;
      failures.push({
        rule: rule.text, tuned: l.tuned,
        rows: rows.map((r) => ({ probe: r.probe, metric: r.metric, ...(r.domain ? { domain: r.domain } : {}), delta: r.delta, verdict: r.verdict })),
      });
    }
  }
  return { rules: rules.map((r) => r.text), passed: failures.length === 0, failures };
}
