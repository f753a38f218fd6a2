/**
 * A real run for the report and viewer tests: zoo/base-s against two tuned models (a
 * trajectory) through audit(), with the probes behind every plot of the report, on a few
 * arithmetic and knowledge items — about 5 s on two cores. With test/report/fake-run.ts's
 * hostile run in the same store, a report and viewer test has both kinds of page.
 */
import { DEFAULT_WORLD } from "../../src/world/index.js";
import { audit, suiteItems, type AuditModel, type RunStore } from "../../src/audit/index.js";
import { openModel } from "../../src/backends/index.js";
import { selectProbes } from "../../src/probes/index.js";

/** The probes whose records feed the report's plots: tradeoff, diversity, early answering, formats, N-1, calibration. */
export const PLOTTED_PROBES = ["task.accuracy", "faithfulness.early-answering", "format.collapse", "calibration", "generalisation.n1", "diversity"];

/**
 * Audit builtin:zoo/base-s against builtin:zoo/base-m (raw) and against itself under a
 * template (so tuned #2 also has a same-format arm); returns the run id. The models are
 * closed before it returns.
 */
export async function auditZooRun(store: RunStore): Promise<string> {
  const baseModel = await openModel("builtin:zoo/base-s");
  const tunedModel = await openModel("builtin:zoo/base-m");
  try {
    const base: AuditModel = { spec: "builtin:zoo/base-s", model: baseModel, format: { kind: "raw" } };
    const tuned: AuditModel[] = [
      { spec: "builtin:zoo/base-m", model: tunedModel, format: { kind: "raw" } },
      { spec: "builtin:zoo/base-s#template", model: baseModel, format: { kind: "template", template: "Please.\n{prompt}" } },
    ];
    const probes = selectProbes(PLOTTED_PROBES);
    if (!probes.ok) throw new Error(probes.error);
    const items = [...suiteItems("arithmetic", DEFAULT_WORLD, 6), ...suiteItems("knowledge", DEFAULT_WORLD, 6)];
    const r = await audit({ base, tuned, probes: probes.value, items, sources: ["test"], settings: { seed: 1, samples: 3, maxTokens: 96, batchSize: 16, sameFormat: true }, store });
    return r.run.runId;
  } finally {
    await baseModel.close();
    await tunedModel.close();
  }
}
