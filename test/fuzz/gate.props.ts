/**
 * `--fail-on RULE` (src/audit/gate.ts): `parseGateRule` on arbitrary strings, mutations of
 * valid rules and long repetitive rules (a regular expression that backtracks shows as a
 * case over the time budget). It must return a rule or an error message; a rule must be
 * well formed (a finite threshold) and evaluate over a ledger without throwing.
 */
import fc from "fast-check";
import { evaluateGate, parseGateRule, type Ledger, type LedgerRow } from "../../src/audit/index.js";
import { pairedProportions, tostP, twoSidedP } from "../../src/stats/index.js";
import { expectFiniteNumbers, fuzzCase, mutatedText, safeJson, type FuzzFamily } from "./helpers.js";

const VALID_RULES = [
  "hidden-trade", "lost", "lost:capability.*", "lost:*.faithfulness.*", "capability.*<-2%", "capability.*<-2%:significant",
  "proxy.task.accuracy.accuracy<0.1", "capability.*<=-0.5", "*.drift.*>1e-3", "capability.* >= .25",
];

/** One row of a ledger: `lost` base-right-tuned-wrong items of n (the gate reads intervals and verdicts). */
function row(probe: string, role: "proxy" | "capability", lost: number, n: number): LedgerRow {
  const inf = pairedProportions(Array.from({ length: n }, () => 1), Array.from({ length: n }, (_, i) => (i < lost ? 0 : 1)));
  const p = twoSidedP(inf);
  return {
    probe, metric: "accuracy", role, kind: "binary", unit: "share", higherIsBetter: true, description: "", formats: { base: "raw", tuned: "raw" },
    tunedInBaseFormat: false, base: 1, tuned: 1 + inf.estimate, delta: inf.estimate, ciLow: NaN, ciHigh: NaN, ciLevel: 0.95, p, pAdj: p,
    pTost: tostP(inf, 0.01), pTostAdj: 1, significant: p < 0.05, n: inf.n, clusters: inf.clusters, hiddenTrade: lost > 0 && role === "capability",
    test: inf.method, mde: 0.03, margin: 0.01, inference: inf, verdict: lost > n / 4 ? "lost" : "inconclusive",
  } as LedgerRow;
}

const LEDGER: Ledger = {
  tuned: 1, spec: "builtin:t1", modelId: "m1", adjust: "holm", alpha: 0.05, hiddenTrades: [], unavailable: [],
  rows: [row("task.accuracy", "capability", 2, 20), row("task.format", "proxy", 0, 50), row("task.retention", "capability", 30, 100), row("task.same", "capability", 0, 10)],
} as Ledger;

function check(text: string): void {
  const r = parseGateRule(text);
  if (!r.ok) {
    if (typeof r.error !== "string" || r.error === "") throw new Error(`an error without a message for ${safeJson(text)}`);
    return;
  }
  const rule = r.value;
  if (rule.kind === "threshold" && !Number.isFinite(rule.value)) throw new Error(`rule ${safeJson(text)} parsed to the threshold ${rule.value}`);
  const g = evaluateGate([rule], [LEDGER]);
  for (const f of g.failures) for (const x of f.rows) if (typeof x.reason !== "string") throw new Error(`a failure without a reason: ${safeJson(x)}`);
  expectFiniteNumbers(g.failures.flatMap((f) => f.rows.map((x) => ({ bound: x.bound ?? 0, level: x.level ?? 0 }))), "the gate's bounds");
}

const ruleText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALID_RULES).chain(mutatedText) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30, unit: fc.constantFrom("capability", "proxy", "*", ".", "<", ">", "=", "%", ":significant", "lost", "-", "1", "e", "9", " ", "a", "+") }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40, unit: "binary" }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("capability.*<", "lost:", "*.", ""), fc.constantFrom("1e999", "-1e999", "1e-999", "99999999999999999999%", "0e0", "-0", "1.")).map(([a, b]) => a + b) },
);

/** Patterns repeated to thousands of characters: time-linear parsing keeps them fast. */
const longRule = fc.tuple(
  fc.constantFrom("1", "<", "*.", "a<", "<1", ".1", "capability.", "*", " ", "*a", "a*", "**x"),
  fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 20_000 })),
  fc.constantFrom("", "a", "x", "%", ":significant", "<1x", "<-2%", "e"),
  fc.constantFrom("", "capability.x<", "lost:", "lost:capability.", "lost:*.", "capability.*<", "capability."),
).map(([unit, n, tail, head]) => head + unit.repeat(n) + tail);

export const gateFamily: FuzzFamily<Record<string, never>> = {
  parser: "gate",
  setup: async () => ({}),
  teardown: async () => undefined,
  properties: [
    { name: "parseGateRule on arbitrary and mutated rules", runs: 500, make: () => fuzzCase(ruleText, check) },
    { name: "parseGateRule on long repetitive rules", runs: 60, make: () => fuzzCase(longRule, check) },
  ],
};
