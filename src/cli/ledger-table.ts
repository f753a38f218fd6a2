/**
 * The ledger in the terminal: the result JSON rendered through the report's text
 * conventions (src/report, ledger-text.ts: values, signed deltas, p, row labels, hidden trades
 * first), so the terminal, the HTML report and the Markdown comment print the same
 * numbers. This file adds only padding and colour.
 */
import type { AuditResultJson, JsonRow } from "../audit/index.js";
import {
  deltaText, hiddenTradeText, notMeasured, orderedRows, pText, rowLabel, signedText, valueText, verdictText, type LedgerJson,
} from "../report/index.js";

/** Colours only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

const ANSI = { red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", dim: "\u001b[2m", reset: "\u001b[0m" } as const;

function paint(line: string, r: JsonRow): string {
  const c = r.hidden_trade ? ANSI.yellow : r.verdict === "lost" ? ANSI.red : r.verdict === "gained" ? ANSI.green : r.verdict === "inconclusive" ? ANSI.dim : "";
  return c ? `${c}${line}${ANSI.reset}` : line;
}

/** Columns padded to their widest cell; `right` marks the right-aligned ones. */
function columns(head: string[], cells: string[][], right: boolean[]): { line: (c: string[]) => string; rule: string } {
  const widths = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  return {
    line: (c) => c.map((x, j) => (right[j] ? x.padStart(widths[j]) : x.padEnd(widths[j]))).join("  ").trimEnd(),
    rule: widths.map((w) => "─".repeat(w)).join("  "),
  };
}

/** The table's lines (no trailing newline); `colour` paints lost / gained / hidden-trade rows. */
export function ledgerTable(l: LedgerJson, colour = false): string[] {
  const rows = orderedRows(l);
  const seeds = rows.some((r) => r.seeds !== null);
  const seedText = (r: JsonRow) => (r.seeds ? `${r.seeds.deltas.map((d) => signedText(r, d)).join(" ")} (sd ${signedText(r, r.seeds.sd).replace("+", "")})` : "");
  const cells = rows.map((r) => [
    `${r.hidden_trade ? "! " : "  "}${rowLabel(r)}`,
    r.role === "proxy" ? "proxy" : "capab.",
    valueText(r, r.base),
    valueText(r, r.tuned),
    deltaText(r),
    pText(r.p_adj),
    String(r.n),
    verdictText(r),
    ...(seeds ? [seedText(r)] : []),
  ]);
  const head = ["  probe · metric", "role", "base", "tuned", "Δ [adj. CI]", `p (${l.adjust === "holm" ? "Holm" : "BH"})`, "n", "verdict", ...(seeds ? ["Δ per seed"] : [])];
  const { line, rule } = columns(head, cells, [false, false, true, true, true, true, true, false, false]);
  const out = [line(head), rule, ...cells.map((c, i) => (colour ? paint(line(c), rows[i]) : line(c)))];
  if (l.hidden_trades.length > 0) {
    out.push("", "! hidden trade: the probe's proxy gained while its capability lost —");
    for (const t of l.hidden_trades) out.push(`    ${hiddenTradeText(t)}`);
  }
  for (const u of notMeasured(l)) out.push(`  not measured: ${u.probe}: ${u.reason}`);
  const partly = rows.filter((r) => r.measured !== null);
  if (partly.length > 0) {
    out.push("  measured on fewer items than the audit gave (each has a .measurable row above):");
    for (const r of partly) out.push(`    ${rowLabel(r)}: base ${r.measured!.base}, tuned ${r.measured!.tuned} of ${r.measured!.items} items`);
  }
  return out;
}

const SHORT: Record<string, string> = { gained: "+", lost: "−", negligible: "~", equivalent: "=", inconclusive: "?" };

/**
 * Several tuned models (a run's checkpoints): one line per row, the delta against the
 * base at each checkpoint with its verdict (+ gained, − lost, ~ negligible, = equivalent, ? inconclusive),
 * so the step where a capability starts to fall stands out.
 */
export function trajectoryTable(ledgers: AuditResultJson["ledgers"]): string[] {
  const keyOf = (r: JsonRow) => `${rowLabel(r)}\u0000${r.role}`;
  const keys: string[] = [];
  const byKey = new Map<string, (JsonRow | undefined)[]>();
  ledgers.forEach((l, j) => {
    for (const r of l.rows) {
      const k = keyOf(r);
      if (!byKey.has(k)) {
        keys.push(k);
        byKey.set(k, ledgers.map(() => undefined));
      }
      byKey.get(k)![j] = r;
    }
  });
  const head = ["  probe · metric (Δ vs base)", ...ledgers.map((l) => `#${l.tuned}`)];
  const cells = keys.map((k) => {
    const rs = byKey.get(k)!;
    const any = rs.find((r) => r !== undefined)!;
    return [`  ${rowLabel(any)}`, ...rs.map((r) => (r ? `${signedText(r, r.delta)} ${SHORT[r.verdict] ?? "?"}` : "·"))];
  });
  const { line, rule } = columns(head, cells, head.map((_, j) => j > 0));
  return [
    line(head), rule, ...cells.map(line),
    ...ledgers.map((l) => `  #${l.tuned} = ${l.spec}`),
    "  (+ gained, − lost, ~ negligible, = equivalent, ? inconclusive; shares in percentage points)",
  ];
}
