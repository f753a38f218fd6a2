/**
 * Every probe, in one explicit registry (no registration by import side effect). The
 * order is the ledger's order: the plain proxy first, then reasoning, structure,
 * generalisation, diversity, knowledge and self-verification.
 */
import { accuracyProbe } from "./accuracy.js";
import { calibrationProbe } from "./calibration.js";
import { diversityProbe } from "./diversity.js";
import { driftProbe } from "./drift.js";
import { earlyAnsweringProbe } from "./early-answering.js";
import { feasibilityProbe } from "./feasibility.js";
import { fillerProbe } from "./filler.js";
import { formatCollapseProbe } from "./format-collapse.js";
import { infogainProbe } from "./infogain.js";
import { mistakesProbe } from "./mistakes.js";
import { nearNeighbourProbe } from "./near-neighbour.js";
import { paraphraseProbe } from "./paraphrase.js";
import type { Probe } from "./probe.js";
import { retentionProbe } from "./retention.js";
import { selfVerificationProbe } from "./self-verification.js";

export const PROBES = {
  "task.accuracy": accuracyProbe,
  "reasoning.infogain": infogainProbe,
  "faithfulness.early-answering": earlyAnsweringProbe,
  "faithfulness.filler": fillerProbe,
  "faithfulness.paraphrase": paraphraseProbe,
  "faithfulness.mistakes": mistakesProbe,
  "structured.feasibility": feasibilityProbe,
  "format.collapse": formatCollapseProbe,
  "generalisation.n1": nearNeighbourProbe,
  diversity: diversityProbe,
  "knowledge.retention": retentionProbe,
  "knowledge.drift": driftProbe,
  calibration: calibrationProbe,
  "self-verification.gap": selfVerificationProbe,
} satisfies Record<string, Probe>;

export type ProbeId = keyof typeof PROBES;
export const PROBE_IDS = Object.keys(PROBES) as ProbeId[];

/**
 * Probes by id or glob ("faithfulness.*"), in registry order; an unknown name is an
 * error listing the valid ones.
 */
export function selectProbes(names: readonly string[]): { ok: true; value: Probe[] } | { ok: false; error: string } {
  const chosen = new Set<ProbeId>();
  for (const name of names) {
    const re = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    const hits = PROBE_IDS.filter((id) => re.test(id));
    if (hits.length === 0) return { ok: false, error: `no probe "${name}"; the probes are: ${PROBE_IDS.join(", ")}` };
    hits.forEach((h) => chosen.add(h));
  }
  return { ok: true, value: PROBE_IDS.filter((id) => chosen.has(id)).map((id) => PROBES[id]) };
}
