/**
 * The claims registry, checked as a pre-registration must be: every claim names a paper and
 * a figure, ≥ 3 seeds, a margin, a direction; every arm's recipe exists and its config (full
 * and --quick) validates; every contrast names models the claim trains; every measure is a
 * metric its probe reports; the audit's settings are ones `ftledger audit` accepts; and the
 * plan's MDE is stated. A claim that is not runnable says why.
 */
import { describe, expect, it } from "vitest";
import { CLAIMS, findClaims, planClaim, plannedMde, type Claim, type ModelRef } from "../../src/reproduce/index.js";
import { resolveRecipeConfig, selfImproveSchema } from "../../src/train/index.js";
import { selectProbes } from "../../src/probes/index.js";
import { SUITES } from "../../src/audit/index.js";
import { auditConfigSchema } from "../../src/cli/commands/audit.js";

function configProblem(recipe: string, config: unknown): string | null {
  if (recipe === "self-improve") {
    const r = selfImproveSchema.safeParse(config);
    return r.success ? null : r.error.message;
  }
  const r = resolveRecipeConfig(recipe, config);
  return r.ok ? null : r.message;
}

const refs = (c: Claim): ModelRef[] => [c.effect, c.proxy, c.control].flatMap((e) => (e ? [e.contrast.tuned, e.contrast.reference] : []));

describe("the claims registry", () => {
  it("lists the research note's eleven claims, in order, with unique names", () => {
    expect(CLAIMS.map((c) => c.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(new Set(CLAIMS.map((c) => c.slug)).size).toBe(11);
    const two = findClaims(["3", "eft"]);
    expect(two.ok ? two.value.map((c) => c.id) : two.error).toEqual([1, 3]);
    const bad = findClaims(["nope"]);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/unknown claim "nope".*1 eft/);
  });

  for (const c of CLAIMS) {
    describe(`claim ${c.id} ${c.slug}`, () => {
      it("states its paper, figure, organism, prediction and seeds", () => {
        expect(c.paper.arxiv).toMatch(/^\d{4}\.\d{4,5}$/);
        expect(c.paper.figure.length).toBeGreaterThan(10);
        expect(c.organism.length).toBeGreaterThan(40);
        expect(c.seeds).toBeGreaterThanOrEqual(3);
        expect(c.effect.prediction.margin).toBeGreaterThan(0);
        expect(c.effect.why.length).toBeGreaterThan(20);
        expect(c.control !== undefined || (c.noControl ?? "").length > 20).toBe(true);
        if (c.notRunnable) expect(c.notRunnable.length).toBeGreaterThan(20);
      });

      if (c.notRunnable) return;

      it("trains arms whose recipes exist and whose configs validate, full and quick", () => {
        expect(new Set(c.arms.map((a) => a.name)).size).toBe(c.arms.length);
        for (const mode of ["full", "quick"] as const) {
          for (const run of planClaim(c, { mode, out: "/tmp/reproduce-registry-test" }).runs) {
            expect(configProblem(run.recipe, run.config), `${mode} ${run.arm} seed ${run.seed}`).toBeNull();
          }
        }
      });

      it("compares models it trains or ships, on metrics its probes report", () => {
        const plan = planClaim(c, { mode: "full", out: "/tmp/reproduce-registry-test" });
        for (const r of refs(c)) for (const s of plan.seeds) expect(() => plan.spec(r, s)).not.toThrow();
        const probes = selectProbes(c.audit.probes);
        expect(probes.ok).toBe(true);
        for (const e of [c.effect, c.proxy, c.control]) {
          if (!e) continue;
          const probe = probes.ok ? probes.value.find((p) => p.id === e.measure.probe) : undefined;
          expect(probe, `${e.measure.probe} is among the audit's probes`).toBeDefined();
          expect(probe!.metrics.map((m) => m.name)).toContain(e.measure.metric);
        }
        for (const s of c.audit.suites) expect(SUITES as readonly string[]).toContain(s);
      });

      it("has audit settings `ftledger audit` accepts, and a planned MDE", () => {
        const plan = planClaim(c, { mode: "full", out: "/tmp/reproduce-registry-test" });
        const parsed = auditConfigSchema.safeParse({
          base: `builtin:${c.audit.base}`, tuned: ["builtin:x"], "base-format": c.audit.baseFormat, "tuned-format": c.audit.tunedFormat,
          probes: c.audit.probes, suite: c.audit.suites, split: c.audit.split, n: plan.n, samples: plan.samples,
        });
        expect(parsed.success, parsed.success ? "" : parsed.error.message).toBe(true);
        const mde = plannedMde(c, plan.n, plan.seeds.length);
        expect(mde).not.toBeNull();
        expect(mde!).toBeGreaterThan(0);
      });
    });
  }
});
