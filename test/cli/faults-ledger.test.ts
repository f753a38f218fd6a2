/**
 * A whole audit through unreliable servers gives the ledger a clean run gives, byte for
 * byte: two `ftledger serve` instances (zoo/base-s and a damaged copy) behind proxies that
 * slow, refuse (503, 429), drop and garble requests on a fixed schedule; the audit's
 * openai backend retries through all of it. The records, and so every ledger number, must
 * not depend on which attempts failed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel } from "../../src/backends/index.js";
import { ZOO_DIR } from "../../src/formats/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import { saveDamagedCopy } from "../helpers/damaged-model.js";
import { startFlakyProxy, type FlakyProxy, type ProxyFault } from "../helpers/flaky-proxy.js";
import { ftledgerAsync } from "./run-cli.js";

let dir: string;
const servers: RunningServer[] = [];
const proxies: FlakyProxy[] = [];
const closers: (() => Promise<void>)[] = [];
let base = "";
let tuned = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-faults-"));
  await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.6, seed: 7 });
  for (const [name, path] of [["base", join(ZOO_DIR, "base-s")], ["tuned", join(dir, "damaged")]] as const) {
    const m = await openModel(`builtin:${path}`);
    closers.push(() => m.close());
    servers.push(await startServer(m, { port: 0, modelName: name }));
  }
  [base, tuned] = servers.map((s) => s.url);
}, 120_000);
afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const s of servers) await s.close();
  for (const c of closers) await c();
  await rm(dir, { recursive: true, force: true });
});

const ARGS = ["--probes", "task.accuracy", "knowledge.retention", "calibration", "--suite", "arithmetic", "knowledge", "--n", "8", "--json", "--quiet"];

async function auditThrough(baseUrl: string, tunedUrl: string, store: string) {
  const r = await ftledgerAsync("audit", "--base", `openai:${baseUrl}#base`, "--tuned", `openai:${tunedUrl}#tuned`, ...ARGS, "--store", join(dir, store));
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { ledgers: unknown[]; records: { stored: number } };
}

describe("an audit through slow, refusing, dropping and garbling servers", () => {
  it("gives the clean run's ledger, byte for byte", async () => {
    const clean = await auditThrough(base, tuned, "clean");
    const schedule: ProxyFault[] = ["ok", "503", "ok", "ok", "drop", "ok", "slow", "ok", "ok", "garbage", "ok", "ok", "429", "ok"];
    for (const up of [base, tuned]) proxies.push(await startFlakyProxy(up, schedule, { slowMs: 150 }));
    const flaky = await auditThrough(proxies[0].url, proxies[1].url, "flaky");
    for (const p of proxies) for (const f of ["503", "429", "drop", "slow", "garbage"] as const) expect(p.injected[f], f).toBeGreaterThan(0);
    expect(flaky.records.stored).toBe(clean.records.stored);
    // the spec and model id name the URL the audit was given (the proxy's); all else is equal
    const strip = (ls: unknown[]) => JSON.stringify(ls.map((l) => ({ ...(l as object), spec: undefined, model_id: undefined })));
    expect(strip(flaky.ledgers)).toBe(strip(clean.ledgers));
  }, 300_000);
});
