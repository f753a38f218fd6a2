/**
 * Plots of ledger rows (the stored result JSON): the tradeoff of each probe's proxy
 * against its capabilities, diversity per domain, and a trajectory over checkpoints.
 * Every point carries its adjusted CI and every title its n. Deltas are drawn
 * in each metric's good direction (Δ, negated for ↓ metrics), so up and right are better
 * and the lower-right quadrant (proxy up, capability down) is where hidden trades sit.
 */
import type { JsonRow } from "../audit/index.js";
import { deltaText, rowLabel, type LedgerJson } from "./ledger-text.js";
import { nRange, notMeasuredNote, renderSvg, VERDICT_COLORS } from "./render.js";

const finite = (x: number | null): x is number => typeof x === "number" && Number.isFinite(x);
const verdictScale = { domain: Object.keys(VERDICT_COLORS), range: Object.values(VERDICT_COLORS) };

/** A delta in the metric's good direction and display unit (pp for shares). */
function oriented(r: JsonRow, x: number): number {
  return (r.higher_is_better ? x : -x) * (r.unit === "share" ? 100 : 1);
}

/** Oriented Δ and CI (the bounds swap when the sign flips). */
function orientedCi(r: JsonRow): { d: number; lo: number; hi: number } | undefined {
  if (!finite(r.delta) || !finite(r.ci_low) || !finite(r.ci_high)) return undefined;
  const a = oriented(r, r.ci_low);
  const b = oriented(r, r.ci_high);
  return { d: oriented(r, r.delta), lo: Math.min(a, b), hi: Math.max(a, b) };
}

const metricName = (r: JsonRow) => `${r.metric}${r.higher_is_better ? "" : " ↓"}${r.domain ? ` @${r.domain}` : ""}${r.tuned_in_base_format ? ` [both ${r.formats.base}]` : ""}`;

interface TradeoffPoint {
  label: string;
  panel: "share" | "other";
  x: number;
  xlo: number;
  xhi: number;
  y: number;
  ylo: number;
  yhi: number;
  verdict: string;
  hidden: string;
  n: number;
}

/**
 * One point per (probe, capability row): x = the probe's proxy Δ (the proxy row of the
 * same domain, else its first proxy row; the shared chain-of-thought row stands for
 * every probe in its `shared_by`), y = the capability's Δ, each with its CI as error bars.
 * Capabilities in percentage points and those in nats or plain numbers are two panels.
 */
export async function tradeoffPlot(ledger: LedgerJson): Promise<string> {
  const rows = ledger.rows;
  const probes = [...new Set(rows.map((r) => r.probe))];
  const points: TradeoffPoint[] = [];
  let skipped = 0;
  for (const probe of probes) {
    const proxies = rows.filter((r) => r.role === "proxy" && !r.tuned_in_base_format && (r.probe === probe || r.shared_by.includes(probe)));
    for (const c of rows.filter((r) => r.role === "capability" && r.probe === probe)) {
      const p = proxies.find((r) => r.domain === c.domain) ?? proxies[0];
      const pc = p && p.unit === "share" ? orientedCi(p) : undefined;
      const cc = orientedCi(c);
      if (!pc || !cc) {
        skipped++;
        continue;
      }
      points.push({
        label: `${probe} · ${metricName(c)}`, panel: c.unit === "share" ? "share" : "other",
        x: pc.d, xlo: pc.lo, xhi: pc.hi, y: cc.d, ylo: cc.lo, yhi: cc.hi,
        verdict: c.verdict, hidden: c.hidden_trade ? "hidden trade" : "", n: Math.min(p.n, c.n),
      });
    }
  }
  if (points.length === 0) return notMeasuredNote("no probe has both a proxy and a capability row with a Δ (tradeoff plot)");
  // points at the same place (often several Δ = 0) get one label: "first label (+k more)"
  const at = new Map<string, TradeoffPoint[]>();
  for (const p of points) {
    const k = `${p.panel}|${p.x.toFixed(6)}|${p.y.toFixed(6)}`;
    at.set(k, [...(at.get(k) ?? []), p]);
  }
  const labelled = [...at.values()].flatMap((group) => group.map((p, i) => ({ ...p, label: i > 0 ? "" : group.length > 1 ? `${p.label} (+${group.length - 1} more)` : p.label })));
  const panel = (which: TradeoffPoint["panel"], yTitle: string) => {
    const of = points.filter((p) => p.panel === which);
    const span = (lo: number, hi: number, min: number): [number, number] => {
      const a = Math.min(0, lo);
      const b = Math.max(0, hi);
      return b - a >= min ? [a, b] : [(a + b) / 2 - min / 2, (a + b) / 2 + min / 2];
    };
    const xDomain = span(Math.min(...of.map((p) => p.xlo)), Math.max(...of.map((p) => p.xhi)), 2);
    const yDomain = span(Math.min(...of.map((p) => p.ylo)), Math.max(...of.map((p) => p.yhi)), which === "share" ? 2 : 0.02);
    return {
      width: 380, height: 300,
      transform: [{ filter: `datum.panel === '${which}'` }],
      layer: [
        { mark: { type: "rule" as const, color: "#9ca3af", strokeDash: [3, 3] }, encoding: { x: { datum: 0, type: "quantitative" as const } } },
        { mark: { type: "rule" as const, color: "#9ca3af", strokeDash: [3, 3] }, encoding: { y: { datum: 0, type: "quantitative" as const } } },
        { mark: { type: "rule" as const, opacity: 0.6 }, encoding: { x: { field: "xlo", type: "quantitative" as const, title: "proxy Δ (pp, + = better)", scale: { domain: xDomain, nice: true } }, x2: { field: "xhi" }, y: { field: "y", type: "quantitative" as const, title: yTitle, scale: { domain: yDomain, nice: true } }, color: { field: "verdict", type: "nominal" as const, scale: verdictScale, legend: null } } },
        { mark: { type: "rule" as const, opacity: 0.6 }, encoding: { y: { field: "ylo", type: "quantitative" as const }, y2: { field: "yhi" }, x: { field: "x", type: "quantitative" as const }, color: { field: "verdict", type: "nominal" as const, scale: verdictScale, legend: null } } },
        {
          mark: { type: "point" as const, filled: true, size: 60 },
          encoding: {
            x: { field: "x", type: "quantitative" as const }, y: { field: "y", type: "quantitative" as const },
            color: { field: "verdict", type: "nominal" as const, scale: verdictScale, title: "capability verdict" },
            shape: { field: "hidden", type: "nominal" as const, scale: { domain: ["", "hidden trade"], range: ["circle", "diamond"] }, legend: null },
          },
        },
        { mark: { type: "text" as const, align: "left" as const, dx: 6, dy: -6, fontSize: 8, color: "#374151" }, encoding: { x: { field: "x", type: "quantitative" as const }, y: { field: "y", type: "quantitative" as const }, text: { field: "label" } } },
      ],
    };
  };
  const panels = [];
  if (points.some((p) => p.panel === "share")) panels.push(panel("share", "capability Δ (pp, + = better)"));
  if (points.some((p) => p.panel === "other")) panels.push(panel("other", "capability Δ (nats or number, + = better)"));
  const note = skipped > 0 ? `; ${skipped} capability row(s) without a Δ or a share proxy left out` : "";
  return renderSvg({
    title: {
      text: "Tradeoff: proxy Δ against capability Δ, per probe",
      subtitle: [
        `tuned #${ledger.tuned} vs base; bars = adjusted CIs (each at its row's adjusted level); ↓ metrics sign-flipped so up/right = better; ◆ = hidden trade`,
        `${points.length} point(s), ${nRange(points.map((p) => p.n))} paired items${note}`,
      ],
    },
    data: { values: labelled },
    hconcat: panels,
    resolve: { scale: { color: "shared" } },
  });
}

/**
 * The ledger's diversity rows per domain: base (grey) and tuned (coloured by verdict) as a
 * dumbbell on the metrics' 0–1 scale, with Δ [adj. CI] and n beside each row.
 */
export async function diversityPlot(ledger: LedgerJson): Promise<string> {
  const rows = ledger.rows.filter((r) => r.probe === "diversity" && finite(r.base) && finite(r.tuned));
  if (rows.length === 0) return notMeasuredNote("diversity (no diversity row with values for both models)");
  const values = rows.map((r) => ({
    label: `${r.domain ?? "all"} · ${r.metric}${r.higher_is_better ? "" : " ↓"}`,
    base: r.base, tuned: r.tuned, verdict: r.verdict,
    text: `Δ ${deltaText(r)}  n=${r.n}`, right: Math.max(r.base!, r.tuned!),
  }));
  const y = { field: "label", type: "nominal" as const, title: null, sort: null, axis: { labelLimit: 260 } };
  return renderSvg({
    title: {
      text: "Diversity per domain",
      subtitle: [`tuned #${ledger.tuned} vs base; ○ base, ● tuned (colour = verdict); Δ with adjusted CI (shares in pp)`, `${rows.length} row(s), ${nRange(rows.map((r) => r.n))} items`],
    },
    data: { values },
    width: 360, height: { step: 18 },
    layer: [
      { mark: { type: "rule", color: "#9ca3af" }, encoding: { y, x: { field: "base", type: "quantitative", title: "value (0–1 scale: shares as fractions, ratios, BLEU)", scale: { domain: [0, 1] } }, x2: { field: "tuned" } } },
      { mark: { type: "point", filled: false, size: 50, color: "#6b7280" }, encoding: { y, x: { field: "base", type: "quantitative" } } },
      { mark: { type: "point", filled: true, size: 50 }, encoding: { y, x: { field: "tuned", type: "quantitative" }, color: { field: "verdict", type: "nominal", scale: verdictScale, title: "verdict", legend: { orient: "bottom", direction: "horizontal" } } } },
      { mark: { type: "text", align: "left", dx: 8, fontSize: 9, color: "#374151" }, encoding: { y, x: { field: "right", type: "quantitative" }, text: { field: "text" } } },
    ],
  });
}

/**
 * Several tuned models against one base (a run's checkpoints): one line per ledger row,
 * one cell per checkpoint, coloured by the verdict and holding Δ [adj. CI], so the
 * checkpoint where a capability starts to fall stands out (the terminal's trajectory table).
 */
export async function trajectoryPlot(ledgers: readonly LedgerJson[]): Promise<string> {
  if (ledgers.length < 2) return notMeasuredNote("a trajectory (it needs two or more tuned models, e.g. --tuned A B C or --trajectory RUN)");
  const labels: string[] = [];
  const values: { row: string; checkpoint: string; verdict: string; text: string; n: number }[] = [];
  for (const l of ledgers) {
    for (const r of l.rows) {
      // the row's label without the tuned format, which may differ between checkpoints
      const row = rowLabel({ ...r, formats: { base: r.formats.base, tuned: r.formats.base } });
      if (!labels.includes(row)) labels.push(row);
      values.push({ row, checkpoint: `#${l.tuned}`, verdict: r.verdict, text: r.delta === null ? "— (n = 0)" : `${deltaText(r)}  n=${r.n}`, n: r.n });
    }
  }
  if (values.length === 0) return notMeasuredNote("a trajectory (no ledger has rows)");
  const x = { field: "checkpoint", type: "ordinal" as const, title: "tuned model (checkpoint)", sort: ledgers.map((l) => `#${l.tuned}`), axis: { orient: "top" as const, labelAngle: 0 } };
  const y = { field: "row", type: "nominal" as const, title: null, sort: labels, axis: { labelLimit: 340 } };
  return renderSvg({
    title: {
      text: "Trajectory: Δ vs base at each checkpoint",
      subtitle: [`each cell: Δ [adjusted CI] (shares in pp) and n, coloured by verdict; ${nRange(values.map((v) => v.n))} items`, ...ledgers.map((l) => `#${l.tuned} = ${l.spec}`)],
    },
    data: { values },
    width: { step: 190 }, height: { step: 18 },
    layer: [
      { mark: { type: "rect", opacity: 0.28, stroke: "#fff" }, encoding: { x, y, color: { field: "verdict", type: "nominal", scale: verdictScale, title: "verdict", legend: { orient: "bottom", direction: "horizontal" } } } },
      { mark: { type: "text", fontSize: 9, color: "#111827" }, encoding: { x, y, text: { field: "text" } } },
    ],
  });
}
