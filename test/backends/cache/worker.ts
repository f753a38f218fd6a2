/**
 * Child process for processes.test.ts: opens the shared cache file once told to go,
 * then scores shared and private requests through `withCache`, reading as it writes.
 *
 *   node --import tsx test/backends/cache/worker.ts DB WORKER N GOFILE
 *
 * Prints "ready" when loaded, then one JSON line { stats, innerCalls }. Any error
 * (SQLITE_BUSY included) exits non-zero with the stack on stderr.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { openRequestCache, requestKey, withCache } from "../../../src/backends/cache/index.js";
import { createFakeModel, fakeScore } from "./fake-model.js";
import { sharedRequest, privateRequest, SHARED_MODEL_ID } from "./worker-requests.js";

const [dbPath, workerArg, countArg, goFile] = process.argv.slice(2);
const worker = Number(workerArg);
const count = Number(countArg);

console.log("ready");
while (!existsSync(goFile)) await sleep(2);

const cache = openRequestCache(dbPath); // all workers race to create the file
const inner = createFakeModel(SHARED_MODEL_ID);
const model = withCache(inner, cache);
for (let i = 0; i < count; i += 5) {
  // interleave: a batch of shared requests (others write the same keys), singles of our own
  const shared = Array.from({ length: 5 }, (_, j) => sharedRequest((i + j + worker * 7) % count));
  const got = await model.scoreBatch(shared);
  got.forEach((g, j) => {
    if (g.logprob !== fakeScore(shared[j]).logprob) throw new Error(`wrong answer for ${JSON.stringify(shared[j])}`);
  });
  for (let j = i; j < i + 5; j++) await model.score(privateRequest(worker, j));
  // read a key another worker may be writing right now
  cache.get(requestKey(SHARED_MODEL_ID, "score", sharedRequest((i + 11) % count)));
}
cache.close();
console.log(JSON.stringify({ stats: model.stats, innerCalls: inner.calls.score + inner.calls.scoreBatch }));
