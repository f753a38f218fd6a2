/**
 * A claim's effects read from its audit: for each effect (the judged one, the proxy, the
 * control), every seed's tuned and reference records of the measure's probe, pooled
 * (contrast.ts) and — for a predicted effect — judged (verdict.ts). Then the claim's verdict,
 * read together with its planted control.
 */
import type { AuditResult, RunStore } from "../audit/index.js";
import type { Item, ItemRecord, MetricSpec } from "../probes/index.js";
import { confidenceInterval, twoSidedP } from "../stats/index.js";
import { hash32 } from "../random/index.js";
import { refLabel, type Claim, type Measure, type PredictedEffect, type ReportedEffect } from "./claim.js";
import { pooledContrast } from "./contrast.js";
import type { ClaimPlan } from "./plan.js";
import type { ClaimResult, EffectResult } from "./result.js";
import { judgeEffect } from "./verdict.js";

export interface AuditRecords {
  result: AuditResult;
  store: RunStore;
  items: readonly Item[];
}

/** The store's name for a model's arm in the audit: the base arm, or the tuned arm of that spec (in its own format, or in the base's). */
function armKeyOf(a: AuditRecords, spec: string, inBaseFormat: boolean): string {
  const arms = a.result.run.arms;
  const base = arms.find((x) => x.role === "base");
  if (base && base.model.spec === spec) return base.key;
  const arm = arms.find((x) => x.role === "tuned" && x.model.spec === spec && x.inBaseFormat === inBaseFormat);
  if (!arm) {
    const how = inBaseFormat ? " in the base's format (that probe has no same-format arm)" : "";
    throw new Error(`the audit has no arm for ${spec}${how}`);
  }
  return arm.key;
}

/** The MetricSpec the probe declares under this name. */
function metricOf(a: AuditRecords, m: Measure): MetricSpec {
  for (const arm of a.result.run.arms) {
    const probe = arm.probes.find((p) => p.id === m.probe);
    const metric = probe?.metrics.find((x) => x.name === m.metric);
    if (metric) return metric;
  }
  throw new Error(`the audit ran no probe ${m.probe} with a metric "${m.metric}"`);
}

/** One effect over the plan's seeds. */
export function measureEffect(plan: ClaimPlan, e: PredictedEffect | ReportedEffect, a: AuditRecords): EffectResult {
  const m = e.measure;
  const metric = metricOf(a, m);
  const recordsOf = (spec: string): ItemRecord[] => a.store.records(a.result.run.runId, armKeyOf(a, spec, m.inBaseFormat ?? false), m.probe);
  const tuned = plan.seeds.map((s) => recordsOf(plan.spec(e.contrast.tuned, s)));
  const reference = plan.seeds.map((s) => recordsOf(plan.spec(e.contrast.reference, s)));
  const seed = hash32(`reproduce|${plan.claim.id}|${m.probe}|${m.metric}|${m.domain ?? ""}|${refLabel(e.contrast.tuned)}|${refLabel(e.contrast.reference)}`);
  const c = pooledContrast({ items: a.items, metric, ...(m.domain !== undefined ? { domain: m.domain } : {}), tuned, reference, seed });
  const out: EffectResult = {
    label: m.label, probe: m.probe, metric: m.metric, unit: metric.unit,
    ...(m.domain !== undefined ? { domain: m.domain } : {}), ...(m.inBaseFormat ? { inBaseFormat: true } : {}),
    tuned: refLabel(e.contrast.tuned), reference: refLabel(e.contrast.reference),
    tunedMean: c.tunedMean, referenceMean: c.referenceMean, estimate: c.inf.estimate,
    ciLow: NaN, ciHigh: NaN, p: NaN, n: c.n, clusters: c.inf.clusters, perSeed: c.inf.perSeed, seedSd: c.inf.seedSd,
    ...(c.inf.problem ? { problem: c.inf.problem } : {}),
  };
  if (!c.inf.problem) {
    [out.ciLow, out.ciHigh] = confidenceInterval(c.inf, 0.95);
    out.p = twoSidedP(c.inf);
  }
  if ("prediction" in e) {
    const j = judgeEffect(c.inf, e.prediction);
    out.prediction = e.prediction;
    out.verdict = j.verdict;
    out.pTost = j.pTost;
  }
  return out;
}

/**
 * The claim's verdict is its judged effect's, with a reason that reads it against the control:
 * a `not reproduced` (or inconclusive) claim whose planted control was not reproduced either
 * says nothing about the claim — the probe did not see an effect known to be there.
 */
export function claimVerdict(claim: Claim, effect: EffectResult, control?: EffectResult): Pick<ClaimResult, "verdict" | "reason"> {
  const verdict = effect.verdict ?? "inconclusive";
  const reasons: string[] = [];
  if (effect.problem) reasons.push(`no interval: ${effect.problem}`);
  if (control) {
    if (control.problem) reasons.push(`the planted control could not be measured (${control.problem}): nothing shows that the probe sees this effect here, so this verdict does not test the claim`);
    else if (control.verdict === "reproduced") reasons.push("the planted control was reproduced: the probe sees an effect of this kind when it is there");
    else if (verdict !== "reproduced") reasons.push(`the planted control came out ${control.verdict ?? "without a verdict"}: the probe may not see this effect here, so this verdict does not test the claim`);
    else reasons.push(`the planted control came out ${control.verdict ?? "without a verdict"}`);
  } else if (claim.noControl) {
    reasons.push(`no planted control: ${claim.noControl}`);
  }
  return { verdict, ...(reasons.length ? { reason: reasons.join("; ") } : {}) };
}
