/**
 * A pool of worker threads (worker.mjs) for the simulation slices (tasks.ts). With
 * `workers` = 0 the slices run in this thread: the counts are the same either way, since
 * every replicate is seeded by what it is, not by where it runs.
 */
import { Worker } from "node:worker_threads";
import { runTask, type Task, type TaskResult } from "./tasks.js";

export async function runAll(tasks: readonly Task[], workers: number, onDone: (done: number, total: number) => void): Promise<TaskResult[]> {
  const results: TaskResult[] = new Array(tasks.length);
  let done = 0;
  if (workers <= 0) {
    tasks.forEach((t, i) => {
      results[i] = runTask(t);
      onDone(++done, tasks.length);
    });
    return results;
  }
  let next = 0;
  const pool = Array.from({ length: Math.min(workers, tasks.length) }, () => new Worker(new URL("./worker.mjs", import.meta.url)));
  try {
    await Promise.all(pool.map((w) => new Promise<void>((resolve, reject) => {
      const send = () => {
        if (next >= tasks.length) return resolve();
        const id = next++;
        w.postMessage({ id, task: tasks[id] });
      };
      w.on("message", (m: { id: number; result?: TaskResult; error?: string }) => {
        if (m.error !== undefined) return reject(new Error(`task ${m.id} (${JSON.stringify(tasks[m.id])}): ${m.error}`));
        results[m.id] = m.result!;
        onDone(++done, tasks.length);
        send();
      });
      w.on("error", reject);
      send();
    })));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
