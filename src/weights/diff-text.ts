/**
 * `ftledger diff` in the terminal: per tuned model the total change, a layer × module
 * heat table of the relative change ‖Δ‖/‖θ₀‖, each module kind's figures and the tensors that
 * moved most; with several tuned models, the core-region overlap matrix, per layer, and the
 * clusters. Plain text; the HTML report draws the same numbers (src/report/weights.ts).
 */
import type { DeltaStats } from "./delta.js";
import type { DiffResult, GroupDiff, OverlapResult, TunedDiff } from "./diff.js";
import { MODULE_KINDS, type ModuleKind } from "./names.js";

const pct = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : `${(100 * x).toFixed(digits)}%`);
const fix = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits));
const sci = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? "—" : x === 0 ? "0" : x.toExponential(2));

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (c: string[]) => "  " + c.map((x, j) => (right[j] ? x.padStart(w[j]) : x.padEnd(w[j]))).join("  ").trimEnd();
  return [line(head), "  " + w.map((n) => "─".repeat(n)).join("  "), ...rows.map(line)];
}

/** Relative change per (layer, module kind); rows are layers, then the tensors outside them. */
export function heatRows(t: TunedDiff): { kinds: ModuleKind[]; rows: { label: string; cells: (number | null)[] }[] } {
  const kinds = MODULE_KINDS.filter((k) => t.byLayerModule.some((g) => g.module === k && g.layer !== null));
  const layers = [...new Set(t.byLayerModule.filter((g) => g.layer !== null).map((g) => g.layer as number))].sort((a, b) => a - b);
  const at = (layer: number, k: ModuleKind) => t.byLayerModule.find((g) => g.layer === layer && g.module === k)?.stats.relative ?? null;
  return { kinds, rows: layers.map((l) => ({ label: String(l), cells: kinds.map((k) => at(l, k)) })) };
}

const statCells = (s: DeltaStats) => [sci(s.deltaNorm), pct(s.relative, 3), fix(s.cosine, 6), pct(s.sparsity, 1)];

function tunedLines(d: DiffResult, t: TunedDiff): string[] {
  const s = t.total.stats;
  const out = [
    `${d.base.label} → ${t.label}   (${t.tensors.length} tensors, ${s.numel.toLocaleString("en-US")} parameters)`,
    `  total: ‖Δ‖ ${sci(s.deltaNorm)} = ${pct(s.relative, 3)} of ‖θ₀‖, cos(θ₀, θ₁) ${fix(s.cosine, 6)}, ${pct(s.sparsity, 1)} of entries moved ≤ ${d.settings.threshold}·RMS(θ₀), ${pct(s.unchanged, 1)} bit-identical`,
    "",
    "  relative change ‖Δ‖/‖θ₀‖ by layer × module (%):",
  ];
  const heat = heatRows(t);
  out.push(...table(["layer", ...heat.kinds], heat.rows.map((r) => [r.label, ...r.cells.map((c) => (c === null ? "—" : (100 * c).toFixed(3)))]), [true, ...heat.kinds.map(() => true)]));
  const outside = t.byLayerModule.filter((g) => g.layer === null);
  if (outside.length) out.push(`  outside the layers: ${outside.map((g) => `${g.module} ${pct(g.stats.relative, 3)}`).join(", ")}`);
  out.push("", "  by module kind:");
  const rank = (g: GroupDiff) => {
    const sr = t.tensors.filter((x) => x.module === g.module && x.stableRank !== null).map((x) => x.stableRank as number).sort((a, b) => a - b);
    return sr.length ? fix(sr[Math.floor(sr.length / 2)], 2) : "—";
  };
  out.push(...table(["module", "tensors", "‖Δ‖", "‖Δ‖/‖θ₀‖", "cos", "sparsity", "stable rank (median)"], t.byModule.map((g) => [g.module ?? "", String(g.tensors), ...statCells(g.stats), rank(g)]), [false, true, true, true, true, true, true]));
  const top = [...t.tensors].sort((a, b) => (b.stats.relative ?? -1) - (a.stats.relative ?? -1)).slice(0, 8);
  out.push("", "  largest relative changes:");
  out.push(...table(["tensor", "shape", "‖Δ‖", "‖Δ‖/‖θ₀‖", "cos", "sparsity", "stable rank", "eff. rank"], top.map((x) => [
    x.name, x.shape.join("×"), ...statCells(x.stats), fix(x.stableRank, 2), x.effectiveRank ? `${x.effectiveRank.exact ? "" : "≈"}${x.effectiveRank.value.toFixed(1)}` : "—",
  ]), [false, false, true, true, true, true, true, true]));
  return out;
}

function overlapLines(o: OverlapResult): string[] {
  const short = o.labels.map((_, i) => `#${i + 1}`);
  const out = ["", `core regions (top ${pct(o.coreFraction, 1)} of |τ| per tensor): Jaccard overlap over all tensors`];
  out.push(...o.labels.map((l, i) => `  ${short[i]} = ${l}`));
  out.push(...table(["", ...short], o.overall.map((row, i) => [short[i], ...row.map((v) => fix(v, 3))]), [false, ...short.map(() => true)]));
  if (o.labels.length >= 2) {
    const pairs: [number, number][] = [];
    for (let a = 0; a < o.labels.length; a++) for (let b = a + 1; b < o.labels.length; b++) pairs.push([a, b]);
    out.push("", "  per layer:");
    out.push(...table(["layer", ...pairs.map(([a, b]) => `${short[a]}~${short[b]}`)], o.byLayer.map((l) => [l.layer === null ? "other" : String(l.layer), ...pairs.map(([a, b]) => fix(l.jaccard[a][b], 3))]), [true, ...pairs.map(() => true)]));
  }
  const names = (ls: string[]) => `{${ls.map((l) => short[o.labels.indexOf(l)]).join(", ")}}`;
  out.push("", `  clusters (average linkage, cut at Jaccard 0.5): ${o.clusters.map(names).join(" ")}`);
  if (o.merges.length) out.push(`  merge order: ${o.merges.map((m) => `${names(m.a)}+${names(m.b)} at ${fix(m.similarity, 4)}`).join(", then ")}`);
  out.push(`  NOTE: random core regions of ${pct(o.coreFraction, 1)} overlap with Jaccard ≈ ${fix(o.coreFraction / (2 - o.coreFraction), 4)}; overlap well above that is shared structure.`);
  return out;
}

export function diffLines(d: DiffResult): string[] {
  const out: string[] = [];
  for (const t of d.tuned) out.push(...tunedLines(d, t), "");
  if (d.overlap) out.push(...overlapLines(d.overlap));
  const r = d.settings;
  out.push("", `settings: sparsity threshold ${r.threshold}·RMS(θ₀); spectra ${r.rank} (top ${r.rankK} singular values, randomized SVD seed ${r.seed}); core fraction ${r.coreFraction}`);
  return out;
}
