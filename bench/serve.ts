/**
 * `npm run bench:serve`: `ftledger serve` under load and under abuse, in this process on
 * loopback, over zoo/base-s (builtin backend, kernels auto), with the default limits.
 *
 * 1. Load alone: BENCH_CONCURRENCY (32) clients send small completions (a short prompt,
 *    8 greedy tokens) for BENCH_SECONDS (6); p50 / p99 latency.
 * 2. Oversized bodies: a 20 MB JSON prompt with Content-Length, then the same chunked;
 *    the time until the refusal arrives and the growth of RSS meanwhile.
 * 3. An abandoned big request: 64 prompts × n=16 × 200 tokens, the client leaves after
 *    1.5 s; the CPU time the process spends in the 2 s after (the work should stop).
 * 4. Load under abuse: the same small load while BENCH_HUGE (3) clients keep huge-but-valid
 *    requests in flight (8 prompts of 200 characters × n=16 × 56 tokens) and another
 *    client starts a big request every 200 ms and leaves after 100 ms; p50 / p99 again.
 * Every response is counted by status; a 5xx is an error.
 * Last line: serve requests=N errors_5xx=E p99_ms=P peak_rss_mb=M big_body_ms=B
 * (p99_ms: small requests under abuse; big_body_ms: the slower of the two 20 MB refusals).
 * Targets: 0 5xx; 20 MB refused in < 1 s with < 100 MB RSS growth; p99 under abuse < 2× alone.
 */
import { Agent, request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadavg } from "node:os";
import { openBuiltinModel } from "../src/backends/index.js";
import { startServer } from "../src/serve/index.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const HUGE = Number(process.env.BENCH_HUGE ?? 3);
const root = join(fileURLToPath(import.meta.url), "..", "..");

const model = await openBuiltinModel(join(root, "zoo", "base-s"));
const server = await startServer(model, { port: 0, modelName: "bench" });
const { hostname, port } = new URL(server.url);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
const statuses = new Map<number | string, number>();
const count = (s: number | string) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

interface Sent { status: number | "closed" | "abandoned"; ms: number }

/** POST `body` to /v1/completions; `leaveAfterMs` abandons it (the socket is destroyed). */
function send(body: string | Buffer, o: { chunked?: boolean; leaveAfterMs?: number; ownSocket?: boolean } = {}): Promise<Sent> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (!o.chunked) headers["content-length"] = Buffer.byteLength(body);
    const req = request({ host: hostname, port, path: "/v1/completions", method: "POST", headers, agent: o.leaveAfterMs || o.ownSocket ? false : agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    // a refused upload may see its socket closed before it finishes writing
    req.on("error", () => resolve({ status: o.leaveAfterMs ? "abandoned" : "closed", ms: performance.now() - t0 }));
    if (o.ownSocket) req.on("socket", (s) => s.on("error", () => {})); // EPIPE after the refusal arrived
    if (o.leaveAfterMs) setTimeout(() => req.destroy(), o.leaveAfterMs);
    if (o.chunked) {
      const buf = Buffer.from(body);
      for (let at = 0; at < buf.length; at += 1 << 20) req.write(buf.subarray(at, at + (1 << 20)));
      req.end();
    } else req.end(body);
  }).then((r) => (count((r as Sent).status), r as Sent));
}

const small = (i: number) => JSON.stringify({ model: "bench", prompt: `Fact check. What is ${i % 50} + ${(i * 7) % 50}?\nAnswer: `, max_tokens: 8, temperature: 0 });
const huge = (prompts: number, maxTokens: number) => JSON.stringify({
  model: "bench", prompt: Array.from({ length: prompts }, (_, i) => `${i} `.padEnd(200, "the cat sees a dog. ")), n: 16, max_tokens: maxTokens, temperature: 1, seed: 1,
});

/** CONCURRENCY clients sending small requests for SECONDS; latencies of the 200s. */
async function smallLoad(): Promise<number[]> {
  const ms: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let i = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const r = await send(small(i++));
      if (r.status === 200) ms.push(r.ms);
    }
  }));
  return ms;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const f = (x: number, d = 0) => x.toFixed(d);
const mb = (b: number) => b / 2 ** 20;

console.log(`model zoo/base-s (builtin); ${CONCURRENCY} small clients for ${SECONDS} s per phase; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
await Promise.all(Array.from({ length: 8 }, (_, i) => send(small(i)))); // warm-up

// ---- 1. small requests alone
const alone = await smallLoad();
console.log(`alone:        ${alone.length} small requests, p50 ${f(quantile(alone, 0.5), 1)} ms, p99 ${f(quantile(alone, 0.99), 1)} ms`);

// ---- 2. 20 MB bodies
const bigBody = Buffer.from(JSON.stringify({ model: "bench", prompt: "x".repeat(20 * 2 ** 20), max_tokens: 1 }));
const bigResults: { how: string; r: Sent; growth: number }[] = [];
for (const chunked of [false, true]) {
  global.gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const before = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, before);
  let peak = before;
  const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const r = await send(bigBody, { chunked, ownSocket: true });
  clearInterval(watch);
  peak = Math.max(peak, process.memoryUsage().rss);
  bigResults.push({ how: chunked ? "chunked" : "Content-Length", r, growth: peak - before });
}
for (const b of bigResults) console.log(`20 MB body (${b.how}): ${b.r.status} in ${f(b.r.ms)} ms, RSS growth ${f(mb(b.growth), 1)} MB`);

// ---- 3. a big request abandoned after 1.5 s
{
  const left = send(huge(64, 200), { leaveAfterMs: 1500 });
  await left;
  await new Promise((r) => setTimeout(r, 50)); // the disconnect reaches the server
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 2000));
  const cpu = process.cpuUsage(cpu0);
  console.log(`abandoned big request (64 prompts × n=16 × 200 tokens, left after 1.5 s): ${f((cpu.user + cpu.system) / 1e6, 2)} CPU-s in the 2 s after`);
}

// ---- 4. small requests under abuse
let abusing = true;
let hugeDone = 0;
let abandoned = 0;
const hugeClients = Array.from({ length: HUGE }, async () => {
  while (abusing) if ((await send(huge(8, 56))).status === 200) hugeDone++;
});
const leavers = (async () => {
  while (abusing) {
    void send(huge(16, 200), { leaveAfterMs: 100 });
    abandoned++;
    await new Promise((r) => setTimeout(r, 200));
  }
})();
await new Promise((r) => setTimeout(r, 300)); // the abuse is in flight
const abused = await smallLoad();
abusing = false;
await Promise.all([...hugeClients, leavers]);
console.log(`under abuse:  ${abused.length} small requests, p50 ${f(quantile(abused, 0.5), 1)} ms, p99 ${f(quantile(abused, 0.99), 1)} ms (${f(quantile(abused, 0.99) / quantile(alone, 0.99), 2)}× alone); meanwhile ${hugeDone} huge requests finished, ${abandoned} big ones abandoned`);

clearInterval(sampler);
await server.close().catch(() => {});
agent.destroy();
await model.close();

const total = [...statuses.values()].reduce((a, b) => a + b, 0);
const errors5xx = [...statuses.entries()].filter(([s]) => typeof s === "number" && s >= 500).reduce((a, [, n]) => a + n, 0);
console.log(`responses by status: ${[...statuses.entries()].sort().map(([s, n]) => `${s}×${n}`).join(" ")}`);
const bigMs = Math.max(...bigResults.map((b) => b.r.ms));
const ok = errors5xx === 0 && bigMs < 1000 && Math.max(...bigResults.map((b) => b.growth)) < 100 * 2 ** 20 && quantile(abused, 0.99) < 2 * quantile(alone, 0.99);
console.log(`targets (0 5xx; 20 MB refused < 1 s, < 100 MB RSS growth; p99 under abuse < 2× alone): ${ok ? "met" : "NOT met"}`);
console.log(`serve requests=${total} errors_5xx=${errors5xx} p99_ms=${f(quantile(abused, 0.99), 1)} peak_rss_mb=${f(mb(peakRss))} big_body_ms=${f(bigMs)}`);
process.exit(0);
