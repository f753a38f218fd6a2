/**
 * The ledger as a terminal table: hidden trades first, then the rows in probe order.
 * Shares print as percentages and their deltas as percentage points; every delta
 * carries its 95% CI, the adjusted p and n.
 */
import type { Ledger, LedgerRow } from "../audit/index.js";

function value(r: LedgerRow, x: number): string {
  if (!Number.isFinite(x)) return "—";
  return r.unit === "share" ? `${(100 * x).toFixed(1)}%` : x.toFixed(3);
}

function signed(r: LedgerRow, x: number): string {
  if (!Number.isFinite(x)) return "—";
  const s = r.unit === "share" ? (100 * x).toFixed(1) : x.toFixed(3);
  return `${x >= 0 ? "+" : ""}${s}`;
}

function pText(p: number): string {
  if (!Number.isFinite(p)) return "—";
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(0);
}

export function rowLabel(r: LedgerRow): string {
  const domain = r.domain ? ` @${r.domain}` : "";
  const fmt = r.tunedInBaseFormat ? ` [both ${r.formats.base}]` : r.formats.base === r.formats.tuned ? "" : ` [${r.formats.base}→${r.formats.tuned}]`;
  return `${r.probe} · ${r.metric}${domain}${fmt}`;
}

const VERDICT_MARK: Record<LedgerRow["verdict"], string> = { gained: "gained", lost: "LOST", unchanged: "unchanged", inconclusive: "inconclusive" };

/** Colours only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

const ANSI = { red: "\u001b[31m", green: "\u001b[32m", yellow: "\u001b[33m", dim: "\u001b[2m", reset: "\u001b[0m" } as const;

function paint(line: string, r: LedgerRow): string {
  const c = r.hiddenTrade ? ANSI.yellow : r.verdict === "lost" ? ANSI.red : r.verdict === "gained" ? ANSI.green : r.verdict === "inconclusive" ? ANSI.dim : "";
  return c ? `${c}${line}${ANSI.reset}` : line;
}

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w);
}

/** The table's lines (no trailing newline); `colour` paints lost / gained / hidden-trade rows. */
export function ledgerTable(l: Ledger, colour = false): string[] {
  const rows = [...l.rows.filter((r) => r.hiddenTrade), ...l.rows.filter((r) => !r.hiddenTrade)];
  const cells = rows.map((r) => {
    const unit = r.unit === "share" ? "pp" : r.unit === "nats" ? "nats" : "";
    return [
      `${r.hiddenTrade ? "! " : "  "}${rowLabel(r)}`,
      r.role === "proxy" ? "proxy" : "capab.",
      value(r, r.base),
      value(r, r.tuned),
      `${signed(r, r.delta)}${unit ? ` ${unit}` : ""} [${signed(r, r.ciLow)}, ${signed(r, r.ciHigh)}]`,
      pText(r.pAdj),
      String(r.n),
      `${VERDICT_MARK[r.verdict]}${r.higherIsBetter ? "" : " (lower is better)"}`,
    ];
  });
  const head = ["  probe · metric", "role", "base", "tuned", "Δ [95% CI]", `p (${l.adjust === "holm" ? "Holm" : "BH"})`, "n", "verdict"];
  const widths = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const right = [false, false, true, true, true, true, true, false];
  const line = (c: string[]) => c.map((x, j) => pad(x, widths[j], right[j])).join("  ").trimEnd();
  const out = [line(head), widths.map((w) => "─".repeat(w)).join("  "), ...cells.map((c, i) => (colour ? paint(line(c), rows[i]) : line(c)))];
  if (l.hiddenTrades.length > 0) {
    out.push("", "! hidden trade: the probe's proxy gained while its capability lost —");
    for (const t of l.hiddenTrades) out.push(`    ${t.probe}${t.domain ? ` @${t.domain}` : ""}: ${t.proxy.join(", ")} gained; ${t.capability.join(", ")} lost`);
  }
  // one line per probe: the reason is the same for every arm
  const seen = new Set<string>();
  for (const u of l.unavailable) {
    if (seen.has(`${u.probe}\u0000${u.reason}`)) continue;
    seen.add(`${u.probe}\u0000${u.reason}`);
    out.push(`  not measured: ${u.probe}: ${u.reason}`);
  }
  return out;
}

const SHORT: Record<LedgerRow["verdict"], string> = { gained: "+", lost: "−", unchanged: "=", inconclusive: "?" };

/**
 * Several tuned models (a run's checkpoints): one line per row, the delta against the
 * base at each checkpoint with its verdict (+ gained, − lost, = unchanged, ? inconclusive),
 * so the step where a capability starts to fall stands out.
 */
export function trajectoryTable(ledgers: readonly Ledger[]): string[] {
  const keyOf = (r: LedgerRow) => `${rowLabel(r)}\u0000${r.role}`;
  const keys: string[] = [];
  const byKey = new Map<string, (LedgerRow | undefined)[]>();
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
    return [`  ${rowLabel(any)}`, ...rs.map((r) => (r ? `${signed(r, r.delta)} ${SHORT[r.verdict]}` : "·"))];
  });
  const widths = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
  const line = (c: string[]) => c.map((x, j) => (j === 0 ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join("  ");
  return [
    line(head), widths.map((w) => "─".repeat(w)).join("  "), ...cells.map(line),
    ...ledgers.map((l) => `  #${l.tuned} = ${l.spec}`),
    "  (+ gained, − lost, = unchanged, ? inconclusive; shares in percentage points)",
  ];
}
