/**
 * `ftledger audit` end to end: the JSON ledger, exit codes and the gate, bad input, and
 * resume — an audit killed with SIGKILL midway and run again gives the same ledger as an
 * uninterrupted run, and the second run makes only the model calls that were missing.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveDamagedCopy } from "../helpers/damaged-model.js";
import { ftledger } from "./run-cli.js";

const root = join(import.meta.dirname, "..", "..");
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-audit-cli-"));
  // the "fine-tune": zoo/base-s with noise in its weights, so the ledger has real losses
  await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.6, seed: 7 });
  PAIR = ["--base", "builtin:zoo/base-s", "--tuned", `builtin:${join(dir, "damaged")}`, "--tuned-format", "raw"];
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let PAIR: string[] = [];
const SMALL = ["--probes", "task.accuracy", "faithfulness.early-answering", "knowledge.retention", "--suite", "arithmetic", "knowledge", "--n", "24"];

interface ResultJson {
  run_id: string;
  resumed: boolean;
  ledgers: { rows: Record<string, unknown>[]; hidden_trades: unknown[] }[];
  gate: { passed: boolean; failures: unknown[] };
  records: { computed: number; stored: number };
  calls: Record<string, { model: number; cached: number }>;
}

const modelCalls = (r: ResultJson) => Object.values(r.calls).reduce((a, c) => a + c.model, 0);

function count(db: string, sql: string): number {
  if (!existsSync(db)) return 0;
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare(sql).get() as { n: number }).n;
  } catch {
    return 0; // the table is not created yet
  } finally {
    d.close();
  }
}

/** Start the audit in a child process and SIGKILL it once `atLeast` records are stored. */
async function killMidway(store: string, atLeast: number): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "audit", ...PAIR, ...SMALL, "--store", store, "--quiet"], { cwd: root, stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const db = join(store, "runs.sqlite");
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const n = count(db, "SELECT COUNT(*) AS n FROM records");
    if (n >= atLeast) break;
    if (child.exitCode !== null) throw new Error("the audit finished before it could be killed; raise --n");
  }
  child.kill("SIGKILL");
  await exited;
  return count(db, "SELECT COUNT(*) AS n FROM records");
}

describe("ftledger audit", () => {
  let full: ResultJson;

  it("prints a JSON ledger with the documented row fields", () => {
    const r = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--json", "--quiet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    full = JSON.parse(r.stdout) as ResultJson;
    const row = full.ledgers[0].rows[0];
    for (const k of ["probe", "metric", "role", "base", "tuned", "delta", "ci_low", "ci_high", "p_adj", "n", "verdict"]) expect(row).toHaveProperty(k);
    expect(full.records.computed).toBe(full.records.stored);
    expect(modelCalls(full)).toBeGreaterThan(0);
  }, 120_000);

  it("a second run of a finished audit computes nothing and calls no model", () => {
    const r = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--json", "--quiet");
    expect(r.code).toBe(0);
    const again = JSON.parse(r.stdout) as ResultJson;
    expect(again.resumed).toBe(true);
    expect(again.records.computed).toBe(0);
    expect(modelCalls(again)).toBe(0);
    expect(again.ledgers).toEqual(full.ledgers);
  }, 120_000);

  it("killed with SIGKILL midway, then re-run: the same ledger, and only the missing model calls", async () => {
    const store = join(dir, "killed");
    const stored = await killMidway(store, 30);
    const total = full.records.stored;
    expect(stored).toBeGreaterThanOrEqual(30);
    expect(stored).toBeLessThan(total);
    const cachedBefore = count(join(store, "cache.sqlite"), "SELECT COUNT(*) AS n FROM requests");
    expect(cachedBefore).toBeGreaterThan(0);
    const r = ftledger("audit", ...PAIR, ...SMALL, "--store", store, "--json", "--quiet");
    expect(r.code).toBe(0);
    const resumed = JSON.parse(r.stdout) as ResultJson;
    expect(resumed.resumed).toBe(true);
    expect(resumed.run_id).toBe(full.run_id);
    expect(resumed.records.computed).toBe(total - stored);
    // every request is seeded or greedy, so each one the killed run finished is in the cache
    expect(modelCalls(resumed)).toBe(modelCalls(full) - cachedBefore);
    expect(resumed.ledgers).toEqual(full.ledgers);
  }, 180_000);

  it("the gate: exit 1 when a rule matches, with the failing rows named and why; 0 when none does", () => {
    const lost = full.ledgers[0].rows.filter((x) => x.role === "capability" && x.verdict === "lost" && x.unit === "share");
    expect(lost.length).toBeGreaterThan(0); // the damaged copy loses capability rows
    const failing = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--fail-on", "capability.*<-2%", "--json", "--quiet");
    expect(failing.code).toBe(1);
    const j = JSON.parse(failing.stdout) as ResultJson & { gate: { failures: { rule: string; rows: { probe: string; metric: string; reason: string }[] }[] } };
    expect(j.gate.failures[0].rule).toBe("capability.*<-2%");
    // non-inferiority: every lost row fails, and so may rows whose n cannot show "not worse than −2 pp"
    const failed = j.gate.failures[0].rows.map((x) => `${x.probe}.${x.metric}`);
    for (const x of lost) expect(failed).toContain(`${x.probe}.${x.metric}`);
    for (const x of j.gate.failures[0].rows) expect(x.reason).toMatch(/^non-inferiority not shown: the lower \d+\.\d% bound of the change is /);
    const old = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--fail-on", "capability.*<-2%:significant", "--json", "--quiet");
    const o = JSON.parse(old.stdout) as { gate: { failures: { rows: { verdict: string }[] }[] } };
    expect(o.gate.failures.flatMap((f) => f.rows).length).toBeLessThanOrEqual(failed.length);
    const text = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--fail-on", "capability.*<-2%", "--quiet");
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/gate: FAILED — capability\.\*<-2% on tuned 1: /);
    const passing = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--fail-on", "lost:capability.no-such-probe.*", "--quiet");
    expect(passing.code).toBe(0);
    expect(passing.stdout).toMatch(/gate: passed/);
  }, 120_000);

  it("leads with the answer: gained, lost, equivalent, negligible and what this n cannot tell, before the full ledger", () => {
    const r = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--quiet");
    expect(r.code).toBe(0);
    const answer = r.stdout.indexOf("the answer: builtin:zoo/base-s → ");
    const ledger = r.stdout.indexOf("\nledger: builtin:zoo/base-s → ");
    expect(answer).toBeGreaterThanOrEqual(0);
    expect(ledger).toBeGreaterThan(answer);
    for (const head of [/^gained \(\d+\)/m, /^lost \(! = hidden trade: its probe's proxy gained\) \(\d+\)/m, /^equivalent \(shown to change by less than the margin\) \(\d+\)/m, /^negligible \(a real change smaller than the margin\) \(\d+\)/m, /^cannot be told at this n \(\d+\)/m]) {
      expect(r.stdout.slice(answer, ledger)).toMatch(head);
    }
    expect(r.stdout.slice(answer, ledger)).toMatch(/needs ~[\d,]+ items to settle/);
  }, 120_000);

  it("--tuned-seeds pools fine-tunes of one recipe; --margin replaces a metric's margin", async () => {
    await saveDamagedCopy("base-s", join(dir, "damaged2"), { scale: 0.6, seed: 8 });
    const seeds = ["--tuned-seeds", `builtin:${join(dir, "damaged")}`, `builtin:${join(dir, "damaged2")}`];
    const r = ftledger("audit", "--base", "builtin:zoo/base-s", ...seeds, "--tuned-format", "raw", ...SMALL, "--store", join(dir, "seeds"), "--json", "--quiet",
      "--margin", "knowledge.retention.closed-book=5%");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as ResultJson & { pooled: { tuned: number; spec: string; rows: { probe: string; metric: string; margin: number; test: string; seeds: { deltas: number[]; sd: number } | null }[] } };
    expect(j.ledgers).toHaveLength(2);
    expect(j.pooled.tuned).toBe(0);
    expect(j.pooled.spec).toMatch(/^2 seeds: builtin:.*damaged, builtin:.*damaged2$/);
    const row = j.pooled.rows.find((x) => x.probe === "knowledge.retention" && x.metric === "closed-book")!;
    expect(row.margin).toBe(0.05);
    expect(row.test).toBe("seed-bootstrap");
    expect(row.seeds?.deltas).toHaveLength(2);
    const text = ftledger("audit", "--base", "builtin:zoo/base-s", ...seeds, "--tuned-format", "raw", ...SMALL, "--store", join(dir, "seeds"), "--quiet");
    expect(text.stdout).toMatch(/^ledger over 2 seeds: /m);
    expect(text.stdout).toMatch(/Δ per seed/);
    expect(text.stdout).toMatch(/^each seed against the base:/m);
    const both = ftledger("audit", ...PAIR, ...seeds, "--store", join(dir, "seeds"));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give either tuned .* or tuned-seeds/);
    const badMargin = ftledger("audit", ...PAIR, "--margin", "closed-book", "--store", join(dir, "seeds"));
    expect(badMargin.code).toBe(2);
    expect(badMargin.stderr).toMatch(/--margin must be probe\.metric=VALUE/);
  }, 180_000);

  it("bad input exits 2 with a message naming what was wrong", async () => {
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, '{"id": "a", "prompt": "2+2?", "answer": "4"}\n{"id": "b", "promt": "x", "answer": "1"}\nnot json\n');
    const r = ftledger("audit", ...PAIR, "--data", bad, "--store", join(dir, "bad"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl:2: .*unknown field\(s\) promt/);
    expect(r.stderr).toMatch(/bad\.jsonl:3: not valid JSON/);
    expect(r.stderr).toMatch(/--on-bad-line skip/);
    const rule = ftledger("audit", ...PAIR, "--fail-on", "capability.*<<3", "--store", join(dir, "bad"));
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/--fail-on "capability\.\*<<3"/);
    const probe = ftledger("audit", ...PAIR, "--probes", "nope", "--store", join(dir, "bad"));
    expect(probe.code).toBe(2);
    expect(probe.stderr).toMatch(/no probe "nope"; the probes are: task\.accuracy/);
    const missing = ftledger("audit", "--base", "builtin:zoo/base-s");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/give --base SPEC and --tuned SPEC/);
  }, 120_000);

  it("a --config file gives the settings, and flags override it", async () => {
    const config = join(dir, "audit.yaml");
    await writeFile(config, ["base: builtin:zoo/base-s", "tuned: [builtin:zoo/base-m]", "tuned-format: raw", "probes: [task.accuracy]", "suite: [arithmetic]", "n: 50", ""].join("\n"));
    const r = ftledger("audit", "--config", config, "--n", "8", "--store", join(dir, "config"), "--json", "--quiet");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as ResultJson & { manifest: { items: { count: number } } };
    expect(j.manifest.items.count).toBe(16); // 8 id items + their 8 N-1 variants
    await writeFile(config, "base: builtin:zoo/base-s\ntuned: [builtin:zoo/base-m]\nsamples: many\n");
    const bad = ftledger("audit", "--config", config, "--store", join(dir, "config"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--config .*audit\.yaml: samples: /);
  }, 120_000);

  it("--export-regressions writes the lost items as dataset lines", async () => {
    const out = join(dir, "lost.jsonl");
    const r = ftledger("audit", ...PAIR, ...SMALL, "--store", join(dir, "full"), "--export-regressions", out, "--quiet");
    expect(r.code).toBe(0);
    const lines = (await readFile(out, "utf8")).split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; meta: { lost_on: string[] } });
    const lost = new Set(full.ledgers[0].rows.flatMap((x) => ((x.transitions as { lost_ids: string[] } | null)?.lost_ids ?? [])));
    expect(lost.size).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.id))).toEqual(lost);
    for (const l of lines) expect(l.meta.lost_on.length).toBeGreaterThan(0);
    // the file is a dataset: it audits again as --data
    const again = ftledger("audit", ...PAIR, "--probes", "task.accuracy", "--data", out, "--store", join(dir, "again"), "--json", "--quiet");
    expect(again.code).toBe(0);
  }, 120_000);
});
