/**
 * `ftledger view` over HTTP: a temporary store with real audits of zoo models (a
 * trajectory of two tuned models, and a one-model run), a hand-made run whose specs,
 * items, records and examples carry markup, and a run that never finished. Each page is
 * read with plain fetch; markup from the store must only ever appear escaped.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORLD } from "../../src/world/index.js";
import { audit, openRunStore, suiteItems, type AuditModel, type AuditResultJson, type JsonRow } from "../../src/audit/index.js";
import { openModel, type LanguageModel } from "../../src/backends/index.js";
import { selectProbes } from "../../src/probes/index.js";
import { checkViewStore, startViewServer, type RunningViewServer } from "../../src/view/index.js";
import { saveDamagedCopy } from "../helpers/damaged-model.js";
import { ftledger } from "../cli/run-cli.js";

const XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>";
const raw = { kind: "raw" } as const;
const settings = { seed: 3, samples: 2, maxTokens: 48, batchSize: 16, sameFormat: true };

let dir: string;
let server: RunningViewServer;
const opened: LanguageModel[] = [];
let trajectoryRun: string, singleRun: string;
const FAKE = "fake-run-xss", RUNNING = "running-run";

async function open(spec: string): Promise<LanguageModel> {
  const m = await openModel(spec);
  opened.push(m);
  return m;
}

/** A capability row for the hand-made run: verdict per checkpoint, markup in its domain. */
function capabilityRow(verdict: string, delta: number): JsonRow {
  return {
    probe: "faithfulness.early-answering", metric: "aoc", role: "capability", domain: XSS, kind: "continuous", unit: "share",
    higher_is_better: true, formats: { base: "raw", tuned: "raw" }, tuned_in_base_format: false,
    base: 0.5, tuned: 0.5 + delta, delta, ci_low: delta - 0.05, ci_high: delta + 0.05, ci_level: 0.99, p: 0.01, p_adj: 0.02,
    p_tost: 1, p_tost_adj: 1, significant: true, n: 6, clusters: 6, design_effect: null, measured: null, seeds: null, n_needed: null,
    verdict, hidden_trade: false, test: "bootstrap-t", effect: null, mde: null, margin: 0.02, transitions: null, shared_by: [], note: XSS,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-view-"));
  const storeDir = join(dir, "store");
  await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.6, seed: 7 });
  const probes = selectProbes(["task.accuracy"]);
  if (!probes.ok) throw new Error(probes.error);
  const items = suiteItems("arithmetic", DEFAULT_WORLD, 6);
  const base: AuditModel = { spec: "builtin:zoo/base-s", model: await open("builtin:zoo/base-s"), format: raw };
  const same: AuditModel = { spec: "builtin:zoo/base-s", model: await open("builtin:zoo/base-s"), format: raw };
  const damaged: AuditModel = { spec: "builtin:damaged", model: await open(`builtin:${join(dir, "damaged")}`), format: raw };
  const store = openRunStore(storeDir);
  try {
    // 1. a trajectory: the same model, then a damaged one; 2. one tuned model (another run id)
    const t = await audit({ base, tuned: [same, damaged], probes: probes.value, items, sources: ["test"], settings, store });
    trajectoryRun = t.run.runId;
    const s = await audit({ base, tuned: [damaged], probes: probes.value, items, sources: ["test"], settings, store });
    singleRun = s.run.runId;
    // 3. a hand-made run: markup in a spec, the items, every response and the examples
    const json = structuredClone(t.json) as AuditResultJson;
    json.run_id = FAKE;
    json.manifest.models = json.manifest.models.map((m) => ({ ...m, spec: m.role === "base" ? XSS : `${m.spec} ${XSS}` }));
    json.ledgers.forEach((l, i) => {
      l.spec = `${l.spec} ${XSS}`;
      l.rows.push(capabilityRow(i === 0 ? "equivalent" : "lost", i === 0 ? 0 : -0.3));
      l.examples[`task.accuracy.accuracy@${XSS}`] = { gained: [], lost: [{ id: items[0].id, prompt: XSS, answer: XSS, base: { response: XSS }, tuned: { response: XSS } }] };
    });
    store.beginRun(FAKE, json.manifest, items.map((it) => ({ ...it, prompt: `${it.prompt} ${XSS}` })));
    for (const arm of ["base", "tuned1", "tuned2"]) {
      for (const r of store.records(trajectoryRun, arm, "task.accuracy")) {
        store.putRecord(FAKE, arm, "task.accuracy", { ...r, note: XSS, detail: { ...r.detail, response: `${XSS} Answer: 4` } });
      }
    }
    store.finishRun(FAKE, json);
    // 4. a run that never finished
    store.beginRun(RUNNING, { ...t.json.manifest, models: [{ role: "base", index: 0, spec: XSS, id: "x", format: "raw" }] }, items.slice(0, 2));
  } finally {
    store.close();
  }
  server = await startViewServer(storeDir, { port: 0 });
}, 60_000);

afterAll(async () => {
  await server?.close();
  for (const m of opened) await m.close();
  await rm(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(new URL(path, server.url));
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

/** Markup from the store never reaches a page unescaped. */
function expectInert(html: string): void {
  expect(html).not.toContain("<script>alert");
  expect(html).not.toContain("<img src=x");
  expect(html).not.toMatch(/onerror=alert\(2\)>/);
}

describe("ftledger view", () => {
  it("lists the runs, newest first, with links, status and a compare form", async () => {
    const { status, text } = await get("/");
    expect(status).toBe(200);
    for (const id of [trajectoryRun, singleRun, FAKE, RUNNING]) expect(text).toContain(`href="/runs/${id}"`);
    expect(text.indexOf(`/runs/${RUNNING}"`)).toBeLessThan(text.indexOf(`/runs/${trajectoryRun}"`));
    expect(text).toContain("builtin:zoo/base-s");
    expect(text).toMatch(/running/);
    expect(text).toContain(`action="/compare"`);
    expect(text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/); // nothing from the network
    expectInert(text);
    expect(text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("opens a run: its report with the ledger under a nav bar back to the list", async () => {
    const { status, text } = await get(`/runs/${trajectoryRun}`);
    expect(status).toBe(200);
    expect(text).toContain("task.accuracy");
    expect(text).toContain(`href="/"`);
    expect(text).toContain(`/runs/${trajectoryRun}/trajectory`);
    expectInert(text);
  });

  it("shows model output and specs with markup as inert text, on every page", async () => {
    const pages = ["/", `/runs/${FAKE}`, `/runs/${FAKE}/trajectory`, `/compare?a=${trajectoryRun}&b=${FAKE}`, `/runs/${RUNNING}`];
    for (const p of pages) {
      const { status, text } = await get(p);
      expect(status, p).toBe(200);
      expectInert(text);
    }
    const report = (await get(`/runs/${FAKE}`)).text;
    expect(report).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;");
  });

  it("says a run that has not finished is still running", async () => {
    const { status, text } = await get(`/runs/${RUNNING}`);
    expect(status).toBe(200);
    expect(text).toMatch(/still running/);
    expect(text).toMatch(/resume/);
  });

  it("compares two runs row by row and says what changed", async () => {
    const { status, text } = await get(`/compare?a=${trajectoryRun}&b=${singleRun}`);
    expect(status).toBe(200);
    expect(text).toContain(trajectoryRun);
    expect(text).toContain(singleRun);
    expect(text).toContain("task.accuracy · accuracy");
    expect(text).toContain("only in A"); // tuned #2 exists only in the trajectory run
    expect(text).toMatch(/tuned #1: builtin:zoo\/base-s/); // the setup change: another tuned model
    const bad = await get(`/compare?a=${trajectoryRun}`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Give two run ids");
    expect((await get(`/compare?a=${trajectoryRun}&b=nope`)).status).toBe(404);
    expect((await get(`/compare?a=${trajectoryRun}&b=${RUNNING}`)).status).toBe(400);
  });

  it("shows a trajectory: Δ at each checkpoint and where the capability started to fall", async () => {
    const real = await get(`/runs/${trajectoryRun}/trajectory`);
    expect(real.status).toBe(200);
    expect(real.text).toContain("builtin:zoo/base-s");
    expect(real.text).toContain("builtin:damaged");
    expect(real.text).toMatch(/>#1</);
    expect(real.text).toMatch(/>#2</);
    expect(real.text).toContain("<svg");
    expect(real.text).not.toContain("$schema");
    const fake = await get(`/runs/${FAKE}/trajectory`);
    expect(fake.text).toContain("Where did the capability start to fall?");
    expect(fake.text).toMatch(/first lost at[\s\S]*<b>#2<\/b>/);
    const single = await get(`/runs/${singleRun}/trajectory`);
    expect(single.status).toBe(200);
    expect(single.text).toContain("no trajectory");
  });

  it("answers an unknown run with a 404 page that links back", async () => {
    for (const p of ["/runs/nope", "/runs/nope/trajectory"]) {
      const { status, text } = await get(p);
      expect(status).toBe(404);
      expect(text).toContain(`href="/"`);
      expect(text).toContain("No such run");
    }
    expect((await get("/no/such/page")).status).toBe(404);
  });

  it("serves the runs as JSON", async () => {
    const list = await get("/api/runs");
    expect(list.type).toMatch(/application\/json/);
    const body = JSON.parse(list.text) as { runs: { id: string; status: string; tuned: unknown[]; verdicts: Record<string, number> | null }[] };
    expect(body.runs.map((r) => r.id).sort()).toEqual([trajectoryRun, singleRun, FAKE, RUNNING].sort());
    const t = body.runs.find((r) => r.id === trajectoryRun)!;
    expect(t.status).toBe("complete");
    expect(t.tuned).toHaveLength(2);
    expect(body.runs.find((r) => r.id === RUNNING)!.verdicts).toBeNull();
    const one = await get(`/api/runs/${trajectoryRun}`);
    expect((JSON.parse(one.text) as { result: AuditResultJson }).result.ledgers).toHaveLength(2);
    expect((await get("/api/runs/nope")).status).toBe(404);
  });
});

/** A GET with the given Host / Origin headers (fetch cannot set Host). */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), text }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("ftledger view: Host and Origin (DNS rebinding)", () => {
  it("answers only this machine's host names, and pages from them", async () => {
    const port = new URL(server.url).port;
    const evil = await rawGet("/api/runs", { host: "evil.example" });
    expect(evil.status).toBe(403);
    expect(evil.type).toMatch(/application\/json/);
    expect(evil.text).toMatch(/--allow-host evil.example/);
    expect(evil.text).not.toContain(trajectoryRun);
    const page = await rawGet("/", { host: `evil.example:${port}` });
    expect(page.status).toBe(403);
    expect(page.text).not.toContain(trajectoryRun);
    const fromSite = await rawGet("/api/runs", { host: `127.0.0.1:${port}`, origin: "https://evil.example" });
    expect(fromSite.status).toBe(403);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const ok = await rawGet("/api/runs", { host });
      expect(ok.status, host).toBe(200);
      expect(ok.text).toContain(trajectoryRun);
    }
  });
});

describe("the store the viewer opens", () => {
  it("refuses a missing folder, a folder with no store and a foreign SQLite file, creating nothing", async () => {
    expect(checkViewStore(join(dir, "missing")).ok).toBe(false);
    expect(existsSync(join(dir, "missing"))).toBe(false);
    await mkdir(join(dir, "empty"));
    const empty = checkViewStore(join(dir, "empty"));
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.error).toMatch(/no run store here/);
    expect(existsSync(join(dir, "empty", "runs.sqlite"))).toBe(false);
    await mkdir(join(dir, "foreign"));
    await writeFile(join(dir, "foreign", "runs.sqlite"), "not a database at all, just text".repeat(40));
    expect(checkViewStore(join(dir, "foreign")).ok).toBe(false);
    await expect(startViewServer(join(dir, "missing"), { port: 0 })).rejects.toThrow(/no such folder/);
  });

  it("ftledger view: a missing store exits 2 with the reason; a real one prints its URL and serves", async () => {
    const r = ftledger("view", join(dir, "missing"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ftledger view: .*no such folder/);
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "..", "src", "cli", "main.ts"), "view", join(dir, "store"), "--port", "0"], {
      cwd: join(import.meta.dirname, "..", ".."),
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`/runs/${trajectoryRun}`);
    } finally {
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 20_000);
});
