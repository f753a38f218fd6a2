// A worker thread of bench/stats/pool.ts: registers tsx (the bench runs TypeScript without a
// build step, scripts/run-bench.mjs) and answers each { id, task } with { id, result }.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { runTask } = await import("./tasks.ts");
parentPort.on("message", ({ id, task }) => {
  try {
    parentPort.postMessage({ id, result: runTask(task) });
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
