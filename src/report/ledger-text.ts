/**
 * Ledger rows as text — numbers and labels, the one set of conventions the HTML report,
 * the Markdown comment and the terminal table all print (docs/PROBES.md §2): shares as %, their Δ and CI in percentage
 * points; nats and plain numbers to 3 decimals; "—" where a value cannot be computed.
 * Returns plain text: callers escape it for HTML or Markdown.
 */
import type { AuditResultJson, JsonRow } from "../audit/index.js";

export type LedgerJson = AuditResultJson["ledgers"][number];

const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

/** A metric's value: "75.0%" for shares, "2.771" otherwise, "—" for null. */
export function valueText(r: Pick<JsonRow, "unit">, x: number | null): string {
  if (!finite(x)) return "—";
  return r.unit === "share" ? `${(100 * x).toFixed(1)}%` : x.toFixed(3);
}

/** A signed difference in the row's display unit, without the unit: "+18.1", "-0.025". */
export function signedText(r: Pick<JsonRow, "unit">, x: number | null): string {
  if (!finite(x)) return "—";
  const s = r.unit === "share" ? (100 * x).toFixed(1) : x.toFixed(3);
  return `${x >= 0 ? "+" : ""}${s}`;
}

/** The unit suffix of a difference: "pp" for shares, "nats", or "". */
export function deltaUnit(r: Pick<JsonRow, "unit">): string {
  return r.unit === "share" ? "pp" : r.unit === "nats" ? "nats" : "";
}

/** "+18.1 pp [+11.3, +25.6]" */
export function deltaText(r: Pick<JsonRow, "unit" | "delta" | "ci_low" | "ci_high">): string {
  if (r.delta === null) return "—";
  const u = deltaUnit(r);
  return `${signedText(r, r.delta)}${u ? ` ${u}` : ""} [${signedText(r, r.ci_low)}, ${signedText(r, r.ci_high)}]`;
}

export function pText(p: number | null): string {
  if (!finite(p)) return "—";
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(0);
}

/** "diversity · distinct-2 @arithmetic [raw→chat]", as the terminal ledger labels rows. */
export function rowLabel(r: Pick<JsonRow, "probe" | "metric" | "domain" | "formats" | "tuned_in_base_format">): string {
  const domain = r.domain ? ` @${r.domain}` : "";
  const fmt = r.tuned_in_base_format ? ` [both ${r.formats.base}]` : r.formats.base === r.formats.tuned ? "" : ` [${r.formats.base}→${r.formats.tuned}]`;
  return `${r.probe} · ${r.metric}${domain}${fmt}`;
}

export function verdictText(r: Pick<JsonRow, "verdict" | "higher_is_better">): string {
  const v = r.verdict === "lost" ? "LOST" : r.verdict;
  return `${v}${r.higher_is_better ? "" : " (lower is better)"}`;
}

/** Rows with hidden-trade rows first, otherwise in ledger order (as the terminal table). */
export function orderedRows(l: LedgerJson): JsonRow[] {
  return [...l.rows.filter((r) => r.hidden_trade), ...l.rows.filter((r) => !r.hidden_trade)];
}

/** One line per (probe, reason) of the probes that have no rows: the reason is the same for every arm. */
export function notMeasured(l: LedgerJson): { probe: string; reason: string }[] {
  const seen = new Set<string>();
  const out: { probe: string; reason: string }[] = [];
  for (const u of l.unavailable) {
    const k = `${u.probe}\u0000${u.reason}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ probe: u.probe, reason: u.reason });
  }
  return out;
}

/** "diversity @arithmetic: validity gained; distinct-2, semantic-diversity lost" */
export function hiddenTradeText(t: LedgerJson["hidden_trades"][number]): string {
  return `${t.probe}${t.domain ? ` @${t.domain}` : ""}: ${t.proxy.join(", ")} gained; ${t.capability.join(", ")} lost`;
}

/** The gate's result in one line, or undefined when the audit had no rules. */
export function gateText(result: AuditResultJson): string | undefined {
  const g = result.gate;
  if (g.rules.length === 0) return undefined;
  const rules = g.rules.join("; ");
  if (g.passed) return `gate: passed (${rules})`;
  const rows = (f: (typeof g.failures)[number]) => f.rows.map((r) => `${r.probe}.${r.metric}${r.domain ? `@${r.domain}` : ""}${r.reason ? ` (${r.reason})` : ""}`).join(", ");
  return `gate: FAILED — ${g.failures.map((f) => `${f.rule} on tuned ${f.tuned}: ${rows(f)}`).join("; ")}`;
}

/** What stands behind a row's numbers, in one line: the test, the interval's level, the clusters, TOST, measurability and the note. */
export function rowDetailText(r: JsonRow): string {
  const parts = [`${r.test}`];
  if (r.ci_level !== null) parts.push(`interval at ${(100 * r.ci_level).toFixed(2)}% (the level of its adjusted test)`);
  if (r.clusters !== r.n) parts.push(`${r.n} items in ${r.clusters} clusters${r.design_effect !== null ? `, design effect ${r.design_effect.toFixed(2)}` : ""}`);
  if (r.p_tost_adj !== null) parts.push(`TOST p_adj ${pText(r.p_tost_adj)} (margin ±${r.unit === "share" ? `${(100 * r.margin).toFixed(1)} pp` : r.margin})`);
  if (r.measured) parts.push(`measured on ${r.measured.both} of ${r.measured.items} items (base ${r.measured.base}, tuned ${r.measured.tuned})`);
  if (r.note) parts.push(r.note);
  return parts.join("; ");
}

/** A ledger read for its answer first: gained, lost (hidden trades first), equivalent, negligible, and what this n cannot tell. */
export interface LedgerSummary {
  gained: JsonRow[];
  lost: JsonRow[];
  equivalent: JsonRow[];
  negligible: JsonRow[];
  /** Inconclusive rows that were tested, fewest items needed first. */
  undecided: JsonRow[];
  /** Rows that could not be tested at all (no items in common, too few for an interval). */
  untested: JsonRow[];
}

/** Items to settle a row either way: enough to detect a change of the margin and to show equivalence within it. */
export function itemsToSettle(r: JsonRow): number | null {
  const n = r.n_needed;
  if (!n || n.detect === null || n.equivalence === null) return null;
  return Math.max(n.detect, n.equivalence);
}

export function summarize(l: LedgerJson): LedgerSummary {
  const rows = orderedRows(l);
  const of = (v: string) => rows.filter((r) => r.verdict === v);
  const inconclusive = of("inconclusive");
  const need = (r: JsonRow) => itemsToSettle(r) ?? Infinity;
  return {
    gained: of("gained"), lost: of("lost"), equivalent: of("equivalent"), negligible: of("negligible"),
    undecided: inconclusive.filter((r) => r.p !== null).sort((a, b) => need(a) - need(b)),
    untested: inconclusive.filter((r) => r.p === null),
  };
}

/** "~1,200" items, or "—" when no plan could be made. */
export function itemsText(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "—";
  return `~${Math.round(n).toLocaleString("en-US")}`;
}

/** The summary as plain lines (the terminal's first screen, and the Markdown's, after escaping). */
export function summaryLines(l: LedgerJson, max = 8): string[] {
  const s = summarize(l);
  const out: string[] = [];
  const list = (title: string, rows: JsonRow[], line: (r: JsonRow) => string) => {
    out.push(`${title} (${rows.length})${rows.length ? ":" : ""}`);
    for (const r of rows.slice(0, max)) out.push(`  ${line(r)}`);
    if (rows.length > max) out.push(`  … and ${rows.length - max} more (see the full ledger)`);
  };
  const change = (r: JsonRow) => `${r.hidden_trade ? "! " : ""}${rowLabel(r)}  ${valueText(r, r.base)} → ${valueText(r, r.tuned)}, ${deltaText(r)}`;
  list("gained", s.gained, change);
  list("lost (! = hidden trade: its probe's proxy gained)", s.lost, change);
  list("equivalent (shown to change by less than the margin)", s.equivalent, (r) => `${rowLabel(r)}  ${deltaText(r)} within ±${r.unit === "share" ? `${(100 * r.margin).toFixed(1)} pp` : r.margin}`);
  list("negligible (a real change smaller than the margin)", s.negligible, change);
  list("cannot be told at this n", s.undecided, (r) => `${rowLabel(r)}  n = ${r.n}, ${deltaText(r)}; needs ${itemsText(itemsToSettle(r))} items to settle`);
  if (s.untested.length) out.push(`not testable (${s.untested.length}): ${s.untested.map(rowLabel).join("; ")}`);
  return out;
}
