/**
 * Plots of the per-item records of each arm (base, tuned #1, tuned #2 …; not the
 * same-format arms): early-answering curves, the format distribution of sampled
 * solutions, ID vs N-1 accuracy, and calibration curves. Levels carry 95% Wilson
 * intervals; the subtitles quote the ledger's Δ [adj. CI] of the matching row.
 */
import type { JsonRow } from "../audit/index.js";
import { SOLUTION_CLASSES } from "../world/index.js";
import {
  CALIBRATION, EARLY_ANSWERING, earlyAnsweringCurves, FORMAT_COLLAPSE, solutionClassShares, n1Accuracy, NEAR_NEIGHBOUR, plotArms, reliabilityCurves,
  type PlotArm, type ReportInput,
} from "./data.js";
import { deltaText, valueText } from "./ledger-text.js";
import { ARM_COLORS, notMeasuredNote, renderSvg } from "./render.js";

const armScale = (arms: readonly PlotArm[]) => ({ domain: arms.map((a) => a.label), range: ARM_COLORS.slice(0, arms.length) });

/** "tuned #1: Δ -0.167 [-0.333, +0.000]" for each ledger's row of (probe, metric), domain-free. */
function ledgerDeltas(input: ReportInput, probe: string, metric: string): string {
  const parts: string[] = [];
  for (const l of input.result.ledgers) {
    const r = l.rows.find((x: JsonRow) => x.probe === probe && x.metric === metric && x.domain === null && !x.tuned_in_base_format);
    if (r) parts.push(`tuned #${l.tuned}: ${metric} ${valueText(r, r.base)} → ${valueText(r, r.tuned)}, Δ ${deltaText(r)} (n = ${r.n})`);
  }
  return parts.join("; ");
}

function nByArm(points: readonly { arm: string; n: number }[], arms: readonly PlotArm[]): string {
  return arms.flatMap((a) => {
    const p = points.find((x) => x.arm === a.label);
    return p ? [`${a.label} n = ${p.n}`] : [];
  }).join(", ");
}

/** Mean match (forced answer = final answer) against the fraction of the chain of thought kept. */
export async function earlyAnsweringPlot(input: ReportInput): Promise<string> {
  const arms = plotArms(input.result);
  const points = earlyAnsweringCurves(input, arms);
  if (points.length === 0) return notMeasuredNote(`early-answering curves (no ${EARLY_ANSWERING} record with a complete curve)`);
  const shown = arms.filter((a) => points.some((p) => p.arm === a.label));
  const x = { field: "fraction", type: "quantitative" as const, title: "fraction of the chain of thought kept", scale: { domain: [0, 1] } };
  const color = { field: "arm", type: "nominal" as const, scale: armScale(shown), title: "model" };
  const deltas = ledgerDeltas(input, EARLY_ANSWERING, "aoc");
  return renderSvg({
    title: {
      text: "Early answering: does the answer exist before the reasoning ends?",
      subtitle: [
        `share of items whose forced answer already equals the final one (step curve, band = 95% Wilson CI); ${nByArm(points, shown)} items`,
        ...(deltas ? [`area over the curve — ${deltas}`] : []),
      ],
    },
    // the band's colour is a field of its own, so that its legend (none) does not merge with the lines'
    data: { values: points.map((p) => ({ ...p, band: p.arm })) },
    width: 420, height: 240,
    layer: [
      { mark: { type: "area", opacity: 0.12, interpolate: "step-after" }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, fill: { ...color, field: "band", legend: null } } },
      { mark: { type: "line", interpolate: "step-after", point: true }, encoding: { x, y: { field: "p", type: "quantitative", title: "mean match", scale: { domain: [0, 1] }, axis: { format: ".0%" } }, color } },
    ],
  });
}

/** Stacked shares of the solution formats of format.collapse's samples, pooled per arm: a trajectory shows the collapse. */
export async function formatPlot(input: ReportInput): Promise<string> {
  const arms = plotArms(input.result);
  const bars = solutionClassShares(input, arms);
  if (bars.length === 0) return notMeasuredNote(`format distribution (no ${FORMAT_COLLAPSE} records with samples)`);
  const shown = arms.filter((a) => bars.some((b) => b.arm === a.label));
  const sizes = shown.map((a) => {
    const b = bars.find((x) => x.arm === a.label)!;
    return `${a.label}: ${b.items} items × ${b.samples / Math.max(1, b.items)} = ${b.samples} samples`;
  });
  const deltas = ledgerDeltas(input, FORMAT_COLLAPSE, "dominant-format-share");
  return renderSvg({
    title: {
      text: "Format distribution of sampled solutions",
      subtitle: [sizes.join("; "), ...(deltas ? [`dominant-format share — ${deltas}`] : [])],
    },
    data: { values: bars.map((b) => ({ ...b, order: SOLUTION_CLASSES.indexOf(b.format as (typeof SOLUTION_CLASSES)[number]) })) },
    width: { step: 56 }, height: 220,
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x: { field: "arm", type: "nominal", sort: shown.map((a) => a.label), title: "model", axis: { labelAngle: 0 } },
          y: { field: "share", type: "quantitative", stack: "zero", title: "share of samples", axis: { format: ".0%" }, scale: { domain: [0, 1] } },
          color: { field: "format", type: "nominal", scale: { domain: [...SOLUTION_CLASSES], range: ["#2563eb", "#d97706", "#059669", "#7c3aed", "#9ca3af"] }, title: "format" },
          order: { field: "order", type: "quantitative" },
        },
      },
    ],
  });
}

/** Accuracy on the in-distribution parents and on their N-1 variants, per domain and model. */
export async function n1Plot(input: ReportInput): Promise<string> {
  const arms = plotArms(input.result);
  const bars = n1Accuracy(input, arms);
  if (bars.length === 0) return notMeasuredNote(`ID vs N-1 accuracy (no ${NEAR_NEIGHBOUR} records with a judged response)`);
  const shown = arms.filter((a) => bars.some((b) => b.arm === a.label));
  const values = bars.map((b) => ({ ...b, group: `${b.domain} · ${b.split}`, pct: `${(100 * b.p).toFixed(0)}%` }));
  const groups = [...new Set(values.map((v) => v.group))];
  const x = { field: "group", type: "nominal" as const, sort: groups, title: "domain · split (ID = parent item, N-1 = one detail changed)", axis: { labelAngle: 0 } };
  const xOffset = { field: "arm", type: "nominal" as const, sort: shown.map((a) => a.label) };
  const gaps: string[] = [];
  for (const l of input.result.ledgers) {
    for (const r of l.rows.filter((x: JsonRow) => x.probe === NEAR_NEIGHBOUR && x.metric === "n1-gap")) gaps.push(`tuned #${l.tuned} @${r.domain ?? "all"}: Δ ${deltaText(r)}`);
  }
  return renderSvg({
    title: {
      text: "ID vs N-1 accuracy",
      subtitle: [
        `bars = accuracy, whiskers = 95% Wilson CI; n = ${[...new Set(values.map((v) => `${v.domain} ${v.n}`))].join(", ")} pairs`,
        ...(gaps.length > 0 ? [`N-1 gap (ID − N-1, ↓) — ${gaps.join("; ")}`] : []),
      ],
    },
    data: { values },
    width: { step: 26 }, height: 220,
    layer: [
      { mark: { type: "bar" }, encoding: { x, xOffset, y: { field: "p", type: "quantitative", title: "accuracy", axis: { format: ".0%" }, scale: { domain: [0, 1] } }, color: { field: "arm", type: "nominal", scale: armScale(shown), title: "model" } } },
      { mark: { type: "rule", color: "#111827" }, encoding: { x, xOffset, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } },
    ],
  });
}

/** Reliability: accuracy against mean confidence per confidence bin, per model, with the diagonal of perfect calibration. */
export async function calibrationPlot(input: ReportInput): Promise<string> {
  const arms = plotArms(input.result);
  const points = reliabilityCurves(input, arms);
  if (points.length === 0) return notMeasuredNote(`calibration curves (no ${CALIBRATION} records with a confidence)`);
  const shown = arms.filter((a) => points.some((p) => p.arm === a.label));
  const n = shown.map((a) => `${a.label} n = ${points.filter((p) => p.arm === a.label).reduce((s, p) => s + p.n, 0)}`).join(", ");
  const deltas = ledgerDeltas(input, CALIBRATION, "ece");
  const x = { field: "confidence", type: "quantitative" as const, title: "mean confidence in the bin", scale: { domain: [0, 1] }, axis: { format: ".0%" } };
  const color = { field: "arm", type: "nominal" as const, scale: armScale(shown), title: "model" };
  return renderSvg({
    title: {
      text: "Calibration: accuracy against confidence",
      subtitle: [`10 equal-width confidence bins (point size = items, whiskers = 95% Wilson CI); ${n} items`, ...(deltas ? [`ECE — ${deltas}`] : [])],
    },
    width: 300, height: 300,
    layer: [
      { data: { values: [{ a: 0, b: 0 }, { a: 1, b: 1 }] }, mark: { type: "line", color: "#9ca3af", strokeDash: [4, 4] }, encoding: { x: { field: "a", type: "quantitative" }, y: { field: "b", type: "quantitative" } } },
      {
        data: { values: points },
        layer: [
          { mark: { type: "rule", opacity: 0.5 }, encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color } },
          { mark: { type: "line" }, encoding: { x, y: { field: "p", type: "quantitative", title: "accuracy in the bin", scale: { domain: [0, 1] }, axis: { format: ".0%" } }, color } },
          { mark: { type: "point", filled: true }, encoding: { x, y: { field: "p", type: "quantitative" }, color, size: { field: "n", type: "quantitative", title: "items", legend: null } } },
        ],
      },
    ],
  });
}
