/**
 * Presets: a named selection of probes and item suites with a compact table of what
 * each model measures, run by the same audit as any other (same store, same cache, same
 * ledger statistics). `ftledger audit --preset NAME`; `ftledger lab eval` is the `lab`
 * preset.
 *
 *   lab   arithmetic accuracy (greedy), knowledge recall by generation and by likelihood
 *         ranking — also in the base's prompt format, a format the fine-tune never saw —
 *         and the solution-format mix by sampling at temperature 1
 */
import type { Item, ItemRecord } from "../probes/index.js";
import { wilson, type ProportionInterval } from "../stats/index.js";
import { SOLUTION_CLASSES, type SolutionClass } from "../world/index.js";
import type { Arm } from "./runner.js";
import type { RunStore } from "./store.js";
import type { SuiteName } from "./suites.js";

/** One line of a preset's table: a binary metric of a probe (in one item domain), as a share of items per arm. */
export interface PresetMeasure {
  label: string;
  probe: string;
  metric: string;
  domain?: string;
}

export interface Preset {
  name: string;
  description: string;
  probes: string[];
  suites: SuiteName[];
  /** Probes also run with each tuned model prompted in the base's format (when the formats differ). */
  sameFormatProbes: string[];
  measures: PresetMeasure[];
  /** A probe whose records carry `count.<class>` per solution class: the table shows the pooled mix. */
  formatMix?: string;
}

export const PRESETS = {
  lab: {
    name: "lab",
    description: "what a lab model can do on the world: arithmetic accuracy, knowledge recall (generation and ranking), the solution-format mix",
    probes: ["task.accuracy", "knowledge.retention", "format.collapse"],
    suites: ["arithmetic", "knowledge"],
    sameFormatProbes: ["task.accuracy", "knowledge.retention"],
    measures: [
      { label: "arithmetic accuracy (greedy)", probe: "task.accuracy", metric: "accuracy", domain: "arithmetic" },
      { label: "knowledge recall (ranking)", probe: "knowledge.retention", metric: "closed-book" },
      { label: "knowledge recall (generation)", probe: "knowledge.retention", metric: "generated-correct" },
    ],
    formatMix: "format.collapse",
  },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** What one arm measured: each of the preset's measures as k of n items, and the pooled solution-format mix. */
export interface ArmMeasures {
  arm: string;
  measures: { measure: PresetMeasure; interval: ProportionInterval }[];
  /** Samples per class over all items (absent when the preset has no format mix or the arm did not run it). */
  formats?: { samples: number; shares: Record<SolutionClass, ProportionInterval> };
}

/** The share of items with value 1 among those where the metric is defined, with a 95% Wilson interval. */
function share(records: readonly ItemRecord[], metric: string, keep: (r: ItemRecord) => boolean): ProportionInterval {
  let k = 0;
  let n = 0;
  for (const r of records) {
    const v = r.values[metric];
    if (!keep(r) || typeof v !== "number" || !Number.isFinite(v)) continue;
    n++;
    if (v === 1) k++;
  }
  return wilson(k, n);
}

/** Each arm's measures, from the stored records only (as the ledger). */
export function armMeasures(store: RunStore, runId: string, arms: readonly Arm[], items: readonly Item[], preset: Preset): ArmMeasures[] {
  const domainOf = new Map(items.map((it) => [it.id, it.domain]));
  return arms.map((arm) => {
    const ran = new Set(arm.probes.map((p) => p.id));
    const measures = preset.measures
      .filter((m) => ran.has(m.probe))
      .map((measure) => ({
        measure,
        interval: share(store.records(runId, arm.key, measure.probe), measure.metric, (r) => measure.domain === undefined || domainOf.get(r.itemId) === measure.domain),
      }));
    const out: ArmMeasures = { arm: arm.key, measures };
    if (preset.formatMix !== undefined && ran.has(preset.formatMix)) {
      const counts = SOLUTION_CLASSES.map(() => 0);
      for (const r of store.records(runId, arm.key, preset.formatMix)) {
        SOLUTION_CLASSES.forEach((c, i) => {
          const v = r.values[`count.${c}`];
          if (typeof v === "number") counts[i] += v;
        });
      }
      const samples = counts.reduce((a, b) => a + b, 0);
      out.formats = { samples, shares: Object.fromEntries(SOLUTION_CLASSES.map((c, i) => [c, wilson(counts[i], samples)])) as Record<SolutionClass, ProportionInterval> };
    }
    return out;
  });
}
