/**
 * DIR/metrics.jsonl: one JSON line per update — step, loss, lr, gradient norm, tokens,
 * wall time, and whatever the objective reports (grpo: reward, KL, format shares).
 * A resumed run first drops the lines past its checkpoint (a killed run may have logged
 * updates it never saved), so the file always tells one run's story once.
 */
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { writeTextAtomic } from "../formats/index.js";
import type { StepLog } from "./trainer.js";

export interface MetricsLog {
  append(log: StepLog): void;
}

export async function openMetricsLog(path: string, resumedFrom: number): Promise<MetricsLog> {
  let kept: string[] = [];
  if (resumedFrom > 0) {
    const text = await readFile(path, "utf8").catch(() => "");
    kept = text.split("\n").filter((line) => {
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as { step?: number }).step! <= resumedFrom;
      } catch {
        return false; // a line cut short by the kill
      }
    });
  }
  await writeTextAtomic(path, kept.map((l) => l + "\n").join(""));
  return {
    append(log) {
      const { metrics, ...core } = log;
      appendFileSync(path, JSON.stringify({ ...core, ...metrics }) + "\n");
    },
  };
}
