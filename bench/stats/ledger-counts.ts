/**
 * A slice of simulated ledgers (ledger-sim.ts) and what §c and §e count in them.
 *
 *   A/A (factor null)  per ledger: any gained or lost row, any negligible row, any hidden
 *                      trade (each a family-wise false alarm), and how many rows were
 *                      tested (m) and called equivalent
 *   planted            per ledger, for each planted capability row: detected (significant
 *                      after Holm, in the bad direction), verdict "lost", flagged as a hidden
 *                      trade; and whether any OTHER row (all A/A) raised a false alarm
 */
import type { Ledger, LedgerRow } from "../../src/audit/index.js";
import { PLANTED, simulatedLedger } from "./ledger-sim.js";

export interface LedgerTask {
  kind: "ledger";
  /** null: A/A; else the planted loss as a multiple of the margins. */
  factor: number | null;
  from: number;
  to: number;
  n: number;
  nBinary?: number;
  nContinuous?: number;
  iterations: number;
  setIterations: number;
}

export interface PlantedCounts {
  detected: number;
  lost: number;
  trade: number;
  deltaSum: number;
}

export interface LedgerCounts {
  ledgers: number;
  gainedOrLost: number;
  negligible: number;
  trade: number;
  anyAlarm: number;
  rows: number;
  tested: number;
  equivalentRows: number;
  falseRows: number;
  binary: PlantedCounts;
  continuous: PlantedCounts;
}

const isPlanted = (r: LedgerRow, which: "binary" | "continuous") => r.probe === PLANTED[which].probe && r.metric === PLANTED[which].metric && !r.tunedInBaseFormat;

function plantedCounts(l: Ledger, which: "binary" | "continuous", into: PlantedCounts): void {
  const r = l.rows.find((x) => isPlanted(x, which));
  if (!r) throw new Error(`no planted ${which} row in the ledger`);
  const bad = r.higherIsBetter ? r.delta < 0 : r.delta > 0;
  if (r.significant && bad) into.detected++;
  if (r.verdict === "lost") into.lost++;
  if (r.hiddenTrade) into.trade++;
  into.deltaSum += r.delta;
}

/** Rows that are A/A in this ledger: all of them, or all but the planted probes' when something is planted. */
const nullRows = (l: Ledger, planted: boolean) =>
  l.rows.filter((r) => !planted || (r.probe !== PLANTED.binary.probe && r.probe !== PLANTED.continuous.probe));

export function ledgerSlice(t: LedgerTask): LedgerCounts {
  const zero = (): PlantedCounts => ({ detected: 0, lost: 0, trade: 0, deltaSum: 0 });
  const out: LedgerCounts = { ledgers: 0, gainedOrLost: 0, negligible: 0, trade: 0, anyAlarm: 0, rows: 0, tested: 0, equivalentRows: 0, falseRows: 0, binary: zero(), continuous: zero() };
  for (let r = t.from; r < t.to; r++) {
    const planted = t.factor !== null;
    const l = simulatedLedger({
      seed: planted ? 1_000_000 * (1 + Math.round(t.factor! * 100)) + r : r, n: t.n, iterations: t.iterations, setIterations: t.setIterations,
      ...(planted ? { plant: { factor: t.factor! }, nBinary: t.nBinary, nContinuous: t.nContinuous } : {}),
    });
    out.ledgers++;
    out.rows += l.rows.length;
    out.tested += l.rows.filter((x) => Number.isFinite(x.p)).length;
    out.equivalentRows += l.rows.filter((x) => x.verdict === "equivalent").length;
    const rows = nullRows(l, planted);
    const gl = rows.filter((x) => x.verdict === "gained" || x.verdict === "lost").length;
    const ng = rows.filter((x) => x.verdict === "negligible").length;
    const trade = planted
      ? l.hiddenTrades.some((h) => h.probe !== PLANTED.binary.probe && h.probe !== PLANTED.continuous.probe)
      : l.hiddenTrades.length > 0;
    out.falseRows += gl + ng;
    if (gl > 0) out.gainedOrLost++;
    if (ng > 0) out.negligible++;
    if (trade) out.trade++;
    if (gl + ng > 0 || trade) out.anyAlarm++;
    if (planted) {
      plantedCounts(l, "binary", out.binary);
      plantedCounts(l, "continuous", out.continuous);
    }
  }
  return out;
}
