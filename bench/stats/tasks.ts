/**
 * The units of work of `npm run bench:stats` that run in worker threads (pool.ts): each is
 * a slice of replicates with its own seeds, so the counts do not depend on which worker
 * runs it or when.
 */
import { coverageSlice, equivalenceSlice, type CoverageCounts, type CoverageTask, type EquivalenceCounts, type EquivalenceTask } from "./coverage.js";
import { ledgerSlice, type LedgerCounts, type LedgerTask } from "./ledger-counts.js";

export type Task = CoverageTask | EquivalenceTask | LedgerTask;
export type TaskResult = CoverageCounts | EquivalenceCounts | LedgerCounts;

export function runTask(t: Task): TaskResult {
  switch (t.kind) {
    case "coverage":
      return coverageSlice(t);
    case "equivalence":
      return equivalenceSlice(t);
    case "ledger":
      return ledgerSlice(t);
  }
}
