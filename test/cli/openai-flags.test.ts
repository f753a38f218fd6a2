/**
 * `ftledger audit` against fake OpenAI-compatible servers with the openai: connection
 * settings: --api-key-env (and its config key), --timeout, --retries, --concurrency reach
 * the backend; a dead replica beside a live one changes no answer; a key-protected server
 * without a key says which flag passes one; a hung server fails in about --timeout; bad
 * values exit 2 without ever printing what was given as a key name.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeServer, startFakeOpenAIServer } from "../helpers/fake-openai-server.js";
import { ftledgerAsync } from "./run-cli.js";

const ENV = "FTLEDGER_TEST_OPENAI_FLAGS_KEY";
const KEY = "sk-test-flags-0123456789abcdef";
const SMALL = ["--probes", "task.accuracy", "knowledge.retention", "--suite", "arithmetic", "knowledge", "--n", "4", "--quiet"];

let dir: string;
let live: FakeServer;
let dead: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-openai-flags-"));
  live = await startFakeOpenAIServer({ apiKey: KEY });
  const gone = await startFakeOpenAIServer();
  dead = gone.url;
  await gone.close();
  process.env[ENV] = KEY; // the children inherit it
});
afterAll(async () => {
  delete process.env[ENV];
  await live.close();
  await rm(dir, { recursive: true, force: true });
});

interface Ledger {
  rows: { probe: string; metric: string; delta: number | null }[];
}

describe("ftledger audit with openai: connection settings", () => {
  it("takes them from flags and --config, and a dead replica changes no answer", async () => {
    const config = join(dir, "audit.yaml");
    await writeFile(config, `api-key-env: ${ENV}\nretries: 0\n`);
    live.always = { kind: "delay", ms: 20 }; // so that a batch's requests overlap, and --concurrency shows
    const r = await ftledgerAsync(
      "audit", "--config", config, "--base", `openai:${live.url}#toy`, "--tuned", `openai:${dead},${live.url}#toy`,
      "--timeout", "20", "--concurrency", "2", ...SMALL, "--json", "--store", join(dir, "store"),
    );
    live.always = undefined;
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { ledgers: Ledger[] };
    const rows = result.ledgers[0].rows;
    expect(rows.length).toBeGreaterThan(0);
    // base = the live server alone, tuned = dead + live: every item answered the same
    for (const row of rows) expect(row.delta ?? 0, `${row.probe} ${row.metric}`).toBe(0);
    expect(live.requests.length).toBeGreaterThan(0);
    expect(live.requests.every((q) => q.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(live.maxInFlight).toBe(2); // the default, 8, shows 8 here
    expect(r.stdout + r.stderr).not.toContain(KEY);
    // nor anywhere on disk: the run store, the request cache, the report
    const store = join(dir, "store");
    const files: string[] = [];
    for (const f of await readdir(store, { recursive: true })) if ((await stat(join(store, f))).isFile()) files.push(f);
    expect(files).toEqual(expect.arrayContaining(["runs.sqlite", "cache.sqlite"]));
    expect(files.some((f) => f.endsWith(".html"))).toBe(true);
    for (const f of files) expect((await readFile(join(store, f))).includes(KEY), f).toBe(false);
  }, 120_000);

  it("a key-protected server without --api-key-env: exit 2, and the message names --api-key-env", async () => {
    const r = await ftledgerAsync("audit", "--base", `openai:${live.url}#toy`, "--tuned", `openai:${live.url}#toy`, ...SMALL, "--store", join(dir, "nokey"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("HTTP 401");
    expect(r.stderr).toContain("--api-key-env NAME");
    expect(r.stderr).not.toContain(KEY);
  }, 120_000);

  it("a hung server fails after about --timeout, and the error names the timeout", async () => {
    const hung = await startFakeOpenAIServer();
    hung.always = { kind: "delay", ms: 600_000 };
    try {
      const t0 = Date.now();
      const r = await ftledgerAsync("audit", "--base", `openai:${hung.url}#toy`, "--tuned", `openai:${hung.url}#toy`, "--timeout", "3", "--retries", "0", ...SMALL, "--store", join(dir, "hung"));
      const seconds = (Date.now() - t0) / 1000;
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("no response within 3000 ms (the timeout)");
      expect(r.stderr).toContain("--timeout SECONDS");
      expect(seconds).toBeLessThan(30); // generous: 10× the timeout, CLI start-up included (the default would be 6 minutes)
    } finally {
      await hung.close();
    }
  }, 120_000);

  it.each([
    [["--timeout", "0"], "--timeout must be a number of seconds > 0"],
    [["--retries", "1.5"], "--retries must be a whole number of retries"],
    [["--concurrency", "0"], "--concurrency must be 1 or more"],
    [["--api-key-env", "sk-live-abcdef0123456789"], "api-key-env: must be the NAME of an environment variable"],
  ])("%j: exit 2 with %s", async (flags, message) => {
    const r = await ftledgerAsync("audit", "--base", `openai:${live.url}#toy`, "--tuned", `openai:${live.url}#toy`, ...flags, ...SMALL, "--store", join(dir, "bad"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain("sk-live-abcdef0123456789");
  }, 120_000);
});
