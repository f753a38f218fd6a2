/**
 * Pages for the weights commands, in the audit report's style (self-contained HTML, inline
 * SVG, nothing loaded): `ftledger diff --report` (a layer × module heat map of the relative
 * change per tuned model, module and tensor tables, the core-region overlap) and the sweep's
 * dose-response (each row's Δ with its adjusted interval against the dose α, and the dose
 * kept). Every string from the user (paths, labels) is escaped.
 */
import type { DoseResponse } from "../audit/index.js";
import type { DiffResult, TunedDiff } from "../weights/index.js";
import { heatRows } from "../weights/index.js";
import { escapeHtml } from "./escape.js";
import { REPORT_CSS } from "./html.js";
import { notMeasuredNote, renderSvg } from "./render.js";

const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(d));
const pct = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : `${(100 * x).toFixed(d)}%`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="ftledger">
<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

function tableHtml(head: string[], rows: string[][], numeric: boolean[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const tr = rows.map((r) => `<tr>${r.map((c, j) => `<td${numeric[j] ? ' class="num"' : ""}>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table></div>`;
}

/** Layer × module heat map of ‖Δ‖/‖θ₀‖ (%), each cell labelled. */
export async function diffHeatmap(t: TunedDiff): Promise<string> {
  const heat = heatRows(t);
  const values = heat.rows.flatMap((r) => r.cells.map((c, j) => ({ layer: r.label, module: heat.kinds[j], rel: c === null ? null : 100 * c, text: c === null ? "—" : (100 * c).toFixed(2) })));
  if (values.length === 0) return notMeasuredNote("a layer × module heat map (no tensor inside numbered layers)");
  const x = { field: "module", type: "nominal" as const, sort: heat.kinds, title: "module", axis: { orient: "top" as const, labelAngle: 0 } };
  const y = { field: "layer", type: "ordinal" as const, sort: heat.rows.map((r) => r.label), title: "layer" };
  return renderSvg({
    title: { text: "relative change ‖Δ‖/‖θ₀‖ (%) by layer × module", subtitle: [`${t.label}`] },
    data: { values },
    width: { step: 64 }, height: { step: 22 },
    layer: [
      { mark: { type: "rect" }, encoding: { x, y, color: { field: "rel", type: "quantitative", title: "% change", scale: { scheme: "oranges" } } } },
      { mark: { type: "text", fontSize: 9 }, encoding: { x, y, text: { field: "text" } } },
    ],
  });
}

async function tunedSection(d: DiffResult, t: TunedDiff): Promise<string> {
  const s = t.total.stats;
  const modules = tableHtml(
    ["module", "tensors", "‖Δ‖", "‖Δ‖/‖θ₀‖", "cos(θ₀, θ₁)", "sparsity"],
    t.byModule.map((g) => [g.module ?? "", String(g.tensors), fmt(g.stats.deltaNorm, 4), pct(g.stats.relative), fmt(g.stats.cosine, 6), pct(g.stats.sparsity, 1)]),
    [false, true, true, true, true, true],
  );
  const tensors = tableHtml(
    ["tensor", "shape", "‖Δ‖", "‖Δ‖/‖θ₀‖", "cos", "sparsity", "stable rank", "effective rank"],
    t.tensors.map((x) => [
      x.name, x.shape.join("×"), fmt(x.stats.deltaNorm, 4), pct(x.stats.relative), fmt(x.stats.cosine, 6), pct(x.stats.sparsity, 1), fmt(x.stableRank, 2),
      x.effectiveRank ? (x.effectiveRank.exact ? fmt(x.effectiveRank.value, 1) : `${fmt(x.effectiveRank.lower, 1)}–${fmt(x.effectiveRank.upper, 1)}`) : "—",
    ]),
    [false, false, true, true, true, true, true, true],
  );
  return `<h2>${escapeHtml(d.base.label)} → ${escapeHtml(t.label)}</h2>
<p>${t.tensors.length} tensors, ${s.numel.toLocaleString("en-US")} parameters. ‖Δ‖ = ${fmt(s.deltaNorm, 4)} (${pct(s.relative)} of ‖θ₀‖), cos(θ₀, θ₁) = ${fmt(s.cosine, 6)}, ${pct(s.sparsity, 1)} of entries moved by at most ${d.settings.threshold}·RMS(θ₀).</p>
<figure>${await diffHeatmap(t)}</figure>
<h3>by module kind</h3>${modules}
<details><summary>every tensor</summary>${tensors}</details>`;
}

async function overlapSection(d: DiffResult): Promise<string> {
  const o = d.overlap;
  if (!o) return "";
  const short = o.labels.map((_, i) => `#${i + 1}`);
  const matrix = tableHtml(["", ...short], o.overall.map((r, i) => [`${short[i]} ${o.labels[i]}`, ...r.map((v) => fmt(v, 3))]), [false, ...short.map(() => true)]);
  const values = o.byLayer.filter((l) => l.layer !== null).flatMap((l) => {
    const out: { layer: number; pair: string; jaccard: number | null }[] = [];
    for (let a = 0; a < o.labels.length; a++) for (let b = a + 1; b < o.labels.length; b++) out.push({ layer: l.layer as number, pair: `${short[a]}~${short[b]}`, jaccard: l.jaccard[a][b] });
    return out;
  });
  const chance = o.coreFraction / (2 - o.coreFraction);
  const plot = values.length
    ? await renderSvg({
        title: { text: "core-region overlap (Jaccard) per layer", subtitle: [`core region = top ${(100 * o.coreFraction).toFixed(1)}% of |τ| per tensor; dashed: two random regions (${chance.toFixed(4)})`] },
        width: 420, height: 220,
        layer: [
          { data: { values }, mark: { type: "line", point: true }, encoding: { x: { field: "layer", type: "quantitative", title: "layer" }, y: { field: "jaccard", type: "quantitative", title: "Jaccard" }, color: { field: "pair", type: "nominal", title: "pair" } } },
          { data: { values: [{ y: chance }] }, mark: { type: "rule", strokeDash: [4, 3], color: "#6b7280" }, encoding: { y: { field: "y", type: "quantitative" } } },
        ],
      })
    : notMeasuredNote("overlap per layer");
  return `<h2>core regions shared between fine-tunes</h2>
<p class="note">Core Parameter Isolation (arXiv 2508.21741): where two fine-tunes write to the same parameters they can interfere. Jaccard of the core regions over all tensors:</p>
${matrix}<figure>${plot}</figure>
<p>clusters (average linkage): ${o.clusters.map((c) => escapeHtml(`{${c.join(", ")}}`)).join(" ")}</p>`;
}

export async function renderDiffHtml(d: DiffResult): Promise<string> {
  const sections = [];
  for (const t of d.tuned) sections.push(await tunedSection(d, t));
  const s = d.settings;
  return page(
    `ftledger diff: ${d.base.label} → ${d.tuned.map((t) => t.label).join(", ")}`,
    `${sections.join("\n")}\n${await overlapSection(d)}\n<p class="note">settings: sparsity threshold ${s.threshold}·RMS(θ₀); spectra ${escapeHtml(s.rank)} (top ${s.rankK} singular values, randomized SVD seed ${s.seed}); core fraction ${s.coreFraction}.</p>`,
  );
}

export interface SweepReport extends DoseResponse {
  base: string;
  tuned: string;
  revert: string | null;
  run_id: string;
}

/** Δ against α, one panel per row, in the row's good direction (up is better), with the adjusted interval. */
export async function dosePlot(s: SweepReport): Promise<string> {
  const values = s.curves.flatMap((c) =>
    c.points.filter((p) => p.delta !== null && p.ci_low !== null && p.ci_high !== null).map((p) => {
      const k = (c.higher_is_better ? 1 : -1) * (c.unit === "share" ? 100 : 1);
      const [lo, hi] = [k * (p.ci_low as number), k * (p.ci_high as number)].sort((a, b) => a - b);
      return { row: `${c.role === "proxy" ? "proxy" : "capability"}: ${c.key}`, alpha: p.alpha, delta: k * (p.delta as number), lo, hi, margin: -(c.unit === "share" ? 100 : 1) * c.margin, role: c.role, keep: s.keep_alpha };
    }),
  );
  if (values.length === 0) return notMeasuredNote("a dose-response curve (no row has an interval)");
  return renderSvg({
    title: { text: "dose-response: Δ vs base at θ₀ + α·Δ (up = better; shares in pp)", subtitle: [`error bars: adjusted intervals; dashed: −margin${s.keep_alpha !== null ? `; green: the kept dose α = ${s.keep_alpha}` : "; no dose keeps every capability non-inferior"}`] },
    data: { values },
    facet: { field: "row", type: "nominal", title: null, header: { labelLimit: 320, labelFontSize: 10 } },
    columns: 3,
    spec: {
      width: 220, height: 130,
      layer: [
        { mark: { type: "errorbar" }, encoding: { x: { field: "alpha", type: "quantitative", title: "α" }, y: { field: "lo", type: "quantitative", title: "Δ" }, y2: { field: "hi" } } },
        { mark: { type: "line", point: true }, encoding: { x: { field: "alpha", type: "quantitative" }, y: { field: "delta", type: "quantitative" }, color: { field: "role", type: "nominal", scale: { domain: ["proxy", "capability"], range: ["#2563eb", "#b45309"] } } } },
        { mark: { type: "rule", strokeDash: [4, 3], color: "#9ca3af" }, encoding: { y: { field: "margin", type: "quantitative", aggregate: "min" } } },
        ...(s.keep_alpha !== null ? [{ mark: { type: "rule" as const, color: "#15803d" }, encoding: { x: { field: "keep", type: "quantitative" as const, aggregate: "min" as const } } }] : []),
      ],
    },
    resolve: { scale: { y: "independent" } },
  });
}

export async function renderSweepHtml(s: SweepReport, diff?: DiffResult): Promise<string> {
  const keep = s.keep_alpha === null
    ? `<div class="alert">No dose keeps every capability non-inferior.</div>`
    : `<div class="ok">Keep α = ${s.keep_alpha}: the largest dose whose capabilities are all non-inferior (adjusted interval excludes a loss beyond each row's margin).</div>`;
  const rows = s.curves.map((c) => [
    c.key, c.role, ...s.alphas.map((a) => {
      const p = c.points.find((x) => x.alpha === a);
      if (!p || p.delta === null) return "—";
      const k = c.unit === "share" ? 100 : 1;
      return `${(k * p.delta).toFixed(2)} [${fmt(p.ci_low === null ? null : k * p.ci_low, 2)}, ${fmt(p.ci_high === null ? null : k * p.ci_high, 2)}] ${p.verdict}${p.non_inferior ? " ✓" : ""}`;
    }),
  ]);
  return page(
    `ftledger sweep: ${s.base} → ${s.tuned}${s.revert ? ` (reverted: ${s.revert})` : ""}`,
    `${keep}\n<figure>${await dosePlot(s)}</figure>\n<h2>each row at each dose</h2>\n${tableHtml(["row", "role", ...s.alphas.map((a) => `α = ${a}`)], rows, [false, false, ...s.alphas.map(() => true)])}
<p class="note">audit run ${escapeHtml(s.run_id)}; Δ of shares in percentage points; ✓ = non-inferior. A single fine-tune's sweep is one seed: it shows this model's dose-response, not the recipe's.</p>
${diff && diff.tuned[0] ? `<h2>where the fine-tune changed the weights (α = 1)</h2><figure>${await diffHeatmap(diff.tuned[0])}</figure><p class="note">${s.revert ? `reverted at every dose: ${escapeHtml(s.revert)}. ` : ""}ftledger diff gives every tensor's figures.</p>` : ""}`,
  );
}
