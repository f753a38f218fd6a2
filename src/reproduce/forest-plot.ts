/**
 * The forest plot of a claim's effects, drawn by hand as inline SVG (synchronous and
 * dependency-free, unlike the audit report's Vega-Lite plots, so the page can be rewritten
 * after every claim). One panel per effect — the judged one, then the proxy and the control
 * when present — each on its own x axis, because the three are different metrics and often
 * different units. A panel shows each seed's Δ as a dot, the pooled Δ with its 95% interval
 * as a bar, the zero line, and, for a judged effect, the region beyond the margin on the
 * predicted side shaded: where the pooled Δ and its whole interval must lie for
 * "reproduced" (verdict.ts; the margin is the smallest effect that counts).
 */
import { escapeHtml } from "../report/index.js";
import type { Prediction } from "./verdict.js";
import type { EffectResult } from "./result.js";

/** One panel: its row label and the effect it draws. */
export interface ForestRow {
  label: string;
  effect: EffectResult;
}

const WIDTH = 640;
const LABEL_W = 170;
const PLOT_X0 = LABEL_W + 10;
const PLOT_X1 = WIDTH - 20;
const PANEL_H = 78;
const finite = (x: number | null | undefined): x is number => typeof x === "number" && Number.isFinite(x);

/** Shares are drawn in percentage points, as the tables print them; other units as they are. */
export function displayScale(unit: string): number {
  return unit === "share" ? 100 : 1;
}

/** The axis label's unit: "Δ (pp)", "Δ (nats)", "Δ". */
function axisUnit(unit: string): string {
  return unit === "share" ? "Δ (pp)" : unit === "nats" ? "Δ (nats)" : "Δ";
}

/** About five round tick values (steps of 1, 2 or 5 × 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // integer multiples of the step, rounded, so -0.3 prints as -0.3 and not -0.30000000000000004
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  return out;
}

/** A tick's text: as few decimals as the step needs. */
function tickText(t: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, Math.min(4, -Math.floor(Math.log10(step) + 1e-9)));
  return t.toFixed(decimals);
}

/** The x range of a panel, in display units: the data, zero, and the margin on both sides (so the band is visible). */
function domainOf(e: EffectResult, p: Prediction | undefined, k: number): [number, number] {
  const values = [0, ...e.perSeed, e.estimate, e.ciLow, e.ciHigh].filter(finite).map((x) => x * k);
  if (p && finite(p.margin)) values.push(1.5 * p.margin * k, -1.5 * p.margin * k);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-12) { lo -= 1; hi += 1; }
  const pad = 0.06 * (hi - lo);
  return [lo - pad, hi + pad];
}

/** The shaded region counted as "reproduced": beyond +margin for an increase, below −margin for a decrease. */
function bandRect(p: Prediction, k: number, x: (v: number) => number, lo: number, hi: number, y: number, h: number): string {
  const m = p.margin * k;
  const [a, b] = p.direction === "increase" ? [Math.min(Math.max(m, lo), hi), hi] : [lo, Math.max(Math.min(-m, hi), lo)];
  if (b <= a) return "";
  const side = p.direction === "increase" ? `Δ > +${m}` : `Δ < −${m}`;
  // the band's inner edge is the margin: label it there, inside the band
  const edge = p.direction === "increase" ? x(a) + 3 : x(b) - 3;
  const label = `<text class="band-label" x="${edge.toFixed(1)}" y="${y + 9}" text-anchor="${p.direction === "increase" ? "start" : "end"}">margin ${p.direction === "increase" ? "+" : "−"}${escapeHtml(String(Number(m.toPrecision(6))))}</text>`;
  return `<rect class="band" x="${x(a).toFixed(1)}" y="${y}" width="${(x(b) - x(a)).toFixed(1)}" height="${h}" fill="#dcfce7"><title>${escapeHtml(`predicted ${p.direction}: "reproduced" needs a significant ${side} (the margin)`)}</title></rect>${label}`;
}

/** A label that fits the left column (the full text is the element's tooltip). */
function clip(text: string, max = 30): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One effect's panel at vertical offset `top`. */
function panel(row: ForestRow, top: number, seeds: number[]): string {
  const e = row.effect;
  const k = displayScale(e.unit);
  const p = e.prediction;
  const [lo, hi] = domainOf(e, p, k);
  const x = (v: number) => PLOT_X0 + ((v - lo) / (hi - lo)) * (PLOT_X1 - PLOT_X0);
  const mid = top + 26;
  const axisY = top + 50;
  const parts: string[] = [];
  if (p) parts.push(bandRect(p, k, x, lo, hi, top + 8, 38));
  parts.push(`<line x1="${x(0).toFixed(1)}" y1="${top + 6}" x2="${x(0).toFixed(1)}" y2="${axisY}" stroke="#6b7280" stroke-dasharray="3,3"/>`);
  const hasInterval = !e.problem && finite(e.ciLow) && finite(e.ciHigh);
  if (hasInterval) {
    parts.push(`<line class="ci" x1="${x(e.ciLow * k).toFixed(1)}" y1="${mid}" x2="${x(e.ciHigh * k).toFixed(1)}" y2="${mid}" stroke="#111827" stroke-width="3"><title>${escapeHtml(`95% interval of Δ: [${(e.ciLow * k).toFixed(3)}, ${(e.ciHigh * k).toFixed(3)}]`)}</title></line>`);
  }
  if (hasInterval && finite(e.estimate)) {
    const cx = x(e.estimate * k);
    parts.push(`<rect class="pooled" x="${(cx - 5).toFixed(1)}" y="${mid - 5}" width="10" height="10" fill="#111827"><title>${escapeHtml(`pooled Δ ${(e.estimate * k).toFixed(3)}`)}</title></rect>`);
  }
  e.perSeed.forEach((d, i) => {
    if (!finite(d)) return;
    const cy = mid - 12 + (i % 3) * 3;
    const seed = seeds[i] !== undefined ? `seed ${seeds[i]}` : `seed #${i + 1}`;
    parts.push(`<circle class="seed" cx="${x(d * k).toFixed(1)}" cy="${cy}" r="3.5" fill="#2563eb" fill-opacity="0.75"><title>${escapeHtml(`${seed}: Δ ${(d * k).toFixed(3)}`)}</title></circle>`);
  });
  const ticks = niceTicks(lo, hi);
  parts.push(`<line x1="${PLOT_X0}" y1="${axisY}" x2="${PLOT_X1}" y2="${axisY}" stroke="#9ca3af"/>`);
  for (const t of ticks) {
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="${axisY}" x2="${x(t).toFixed(1)}" y2="${axisY + 4}" stroke="#9ca3af"/><text class="tick" x="${x(t).toFixed(1)}" y="${axisY + 15}" text-anchor="middle">${escapeHtml(tickText(t, ticks))}</text>`);
  }
  parts.push(`<text x="${PLOT_X1}" y="${axisY + 27}" text-anchor="end" class="axis">${escapeHtml(axisUnit(e.unit))}</text>`);
  const note = hasInterval ? "" : `<text x="8" y="${mid + 16}" class="problem">no interval${e.problem ? `: ${escapeHtml(e.problem)}` : ""}</text>`;
  return `<g class="panel">${parts.join("")}<text x="8" y="${mid + 4}" class="row-label">${escapeHtml(clip(row.label))}</text><text x="8" y="${mid - 10}" class="metric">${escapeHtml(clip(e.label))}<title>${escapeHtml(e.label)}</title></text>${note}</g>`;
}

/** The whole plot: one panel per row, top to bottom. `seeds` names each dot (ClaimResult.seeds). */
export function forestPlotSvg(rows: ForestRow[], seeds: number[]): string {
  const h = rows.length * PANEL_H + 8;
  const style = "<style>text{font:11px system-ui,sans-serif;fill:#111827}.tick,.axis,.metric{fill:#6b7280}.problem{fill:#b45309;font-style:italic}.band-label{font-size:9px;fill:#15803d}.row-label{font-weight:600}</style>";
  const panels = rows.map((r, i) => panel(r, 4 + i * PANEL_H, seeds));
  return `<svg role="img" class="forest" width="${WIDTH}" height="${h}" viewBox="0 0 ${WIDTH} ${h}"><title>Forest plot: each seed's Δ (dots), the pooled Δ with its 95% interval (bar), zero (dashed), the reproduced region (shaded)</title>${style}${panels.join("")}</svg>`;
}
