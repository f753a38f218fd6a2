/**
 * Vega-Lite specs to inline SVG, in Node with no browser and no network (Satyanarayan et
 * al. 2017, "Vega-Lite: A Grammar of Interactive Graphics"; rendered by Vega's headless
 * SVG renderer). Plot builders return HTML: an `<svg>`, or a one-line "not measured in
 * this run" note when there is nothing to draw — never an empty box.
 *
 * Vega escapes every text it writes (titles, labels, data values in aria attributes), so
 * strings from the store cannot break out of the SVG; plots show probe, metric and domain
 * names only, never model text.
 */
import type { TopLevelSpec } from "vega-lite";
import { escapeHtml } from "./escape.js";

/** Vega and Vega-Lite, loaded on the first plot: the rest of the module (tables, Markdown) stays quick to import. */
let engines: Promise<[typeof import("vega"), typeof import("vega-lite")]> | null = null;
const loadEngines = () => (engines ??= Promise.all([import("vega"), import("vega-lite")]));

/** Colours by verdict (the table uses the same). */
export const VERDICT_COLORS = { gained: "#15803d", lost: "#b91c1c", negligible: "#0e7490", equivalent: "#2563eb", inconclusive: "#9ca3af" } as const;
/** Colours of the base and of up to 8 tuned models (trajectory checkpoints), in order. */
export const ARM_COLORS = ["#6b7280", "#2563eb", "#d97706", "#7c3aed", "#059669", "#db2777", "#0891b2", "#65a30d", "#b45309"];

const CONFIG = {
  font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
  title: { anchor: "start" as const, fontSize: 13, subtitleFontSize: 11, subtitleColor: "#4b5563" },
  axis: { labelFontSize: 10, titleFontSize: 11, gridColor: "#eef0f3" },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  view: { stroke: "#e5e7eb" },
};

/** The one-line note that replaces a plot with no data. */
export function notMeasuredNote(what: string): string {
  return `<p class="not-measured">not measured in this run: ${escapeHtml(what)}</p>`;
}

/**
 * Render a spec (its `config` merged over the report's) to an `<svg>` that can sit inside
 * HTML: the namespace declarations are dropped (the HTML parser puts inline SVG in its
 * namespace), so the report holds no URL at all.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await loadEngines();
  const full = { ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new vega.View(vega.parse(vegaLite.compile(full).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    return svg
      .replace(/^<svg\b[^>]*>/, (open) => open.replace(/\s+xmlns(:xlink)?="[^"]*"/g, "").replace(/^<svg/, '<svg role="img"'))
      .replace(/<rect width="[\d.]+" height="[\d.]+" fill="white"\/>/, "");
  } finally {
    view.finalize();
  }
}

/** "n = 8" or "n = 8–16" for a list of per-point n. */
export function nRange(ns: readonly number[]): string {
  if (ns.length === 0) return "n = 0";
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? `n = ${lo}` : `n = ${lo}–${hi}`;
}
