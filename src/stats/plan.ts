/**
 * The plan of a ledger row: at the Bonferroni level α/m of a ledger of m rows and a
 * stated power, the MDE at the row's n, the items needed to detect a change of the
 * metric's margin, and the items needed to show equivalence within ±margin (TOST), from
 * the row's discordance ψ (binary) or sd of the per-item differences (continuous) and its
 * design effect. Used by `ftledger plan` and by the ledger (each row's "items needed").
 * The formulas and their sources are in power.ts.
 */
import {
  bonferroniAlpha, equivalenceN, equivalenceProportionsN, pairedMeanMde, pairedMeanN, pairedProportionsMde, pairedProportionsN,
} from "./power.js";

const fixed = (x: number, d: number) => x.toFixed(d);

export type PlanUnit = "share" | "nats" | "number";
type Unit = PlanUnit;

/** What a plan needs to know about one ledger row. */
export interface PlanInput {
  label: string;
  kind: "binary" | "continuous" | "set";
  unit: Unit;
  margin: number;
  /** Items measured now (the pilot's n, or the stated --n). */
  nNow?: number;
  /** Binary: the discordance ψ = (b + c)/n. */
  psi?: number;
  /** Continuous: the sd of the per-item differences (tuned − base). */
  sd?: number;
  deff: number;
  /** Why this row gets no plan (a set-level statistic, no records …). */
  noPlan?: string;
  notes: string[];
}

export interface PlanSettings {
  /** Family-wise level; each row is planned at alpha / rows. */
  alpha: number;
  power: number;
  /** m, the rows of the ledger (the multiplicity family). */
  rows: number;
  /** Also the MDE at this many items. */
  nAt?: number;
}

export interface PlannedRow {
  label: string;
  kind: PlanInput["kind"];
  unit: Unit;
  margin: number;
  nNow: number | null;
  psi: number | null;
  sd: number | null;
  deff: number;
  /** The per-row level α/m. */
  alphaRow: number;
  /** MDE (detection, at α/m and the power) at nNow and at nAt; Infinity when nothing is detectable. */
  mdeNow: number | null;
  mdeAt: number | null;
  /** Items to detect a change of the margin, and to show equivalence within it; Infinity when none suffice. */
  nDetect: number | null;
  nEquivalence: number | null;
  notes: string[];
}

/** Detection and equivalence plans for each row at α/m (Bonferroni across the ledger's m rows). */
export function planRows(inputs: readonly PlanInput[], s: PlanSettings): PlannedRow[] {
  const alphaRow = bonferroniAlpha(s.alpha, s.rows);
  const level = { alpha: alphaRow, power: s.power };
  return inputs.map((r) => {
    const base: PlannedRow = {
      label: r.label, kind: r.kind, unit: r.unit, margin: r.margin, nNow: r.nNow ?? null, psi: r.psi ?? null, sd: r.sd ?? null,
      deff: r.deff, alphaRow, mdeNow: null, mdeAt: null, nDetect: null, nEquivalence: null, notes: [...r.notes],
    };
    if (r.noPlan !== undefined) return { ...base, notes: [...base.notes, `no plan: ${r.noPlan}`] };
    const at = { ...level, deff: r.deff };
    const mde = (n: number | undefined) => {
      if (n === undefined || n < 2) return null;
      const m = r.kind === "binary" ? pairedProportionsMde({ ...at, psi: r.psi!, n }) : pairedMeanMde({ ...at, sd: r.sd!, n });
      if (m.note) base.notes.push(m.note);
      return m.mde;
    };
    const [mdeNow, mdeAt] = [mde(r.nNow), mde(s.nAt)];
    if (r.kind === "binary") {
      const psi = r.psi!;
      // the alternative keeps ψ and moves δ = margin: p01 = (ψ + δ)/2, p10 = (ψ − δ)/2, which needs ψ ≥ δ
      const psiAlt = Math.max(psi, r.margin);
      if (psiAlt > psi) base.notes.push(`ψ = ${fixed(psi, 4)} < margin: detection planned at ψ = margin (every discordant item one way)`);
      const detect = pairedProportionsN({ ...at, p10: (psiAlt - r.margin) / 2, p01: (psiAlt + r.margin) / 2 });
      const equivalence = equivalenceProportionsN({ ...at, psi, margin: r.margin });
      for (const x of [detect, equivalence]) if (x.note) base.notes.push(x.note);
      return { ...base, mdeNow, mdeAt, nDetect: detect.n, nEquivalence: equivalence.n };
    }
    const detect = pairedMeanN({ ...at, sd: r.sd!, delta: r.margin });
    const equivalence = equivalenceN({ ...at, sd: r.sd!, margin: r.margin });
    return { ...base, mdeNow, mdeAt, nDetect: detect.n, nEquivalence: equivalence.n };
  });
}
