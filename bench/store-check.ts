/**
 * `node scripts/run-bench.mjs bench/store-check.ts [STORE_DIR…]`: what the integrity check
 * costs when a run store or request cache opens (SQLite's quick_check, one pass over every
 * page), against opening without it.
 *
 * With no arguments, a store the size of an audit of the zoo pair (runs/claims/zoo-store:
 * one run, 1,000 items, 6,000 records of ~1 KB; its cache 61,500 responses of ~0.9 KB) is
 * written to a temp folder first. Each figure is the median of BENCH_REPEATS (default 7)
 * opens with a warm page cache (the file was just read).
 * Last lines (machine-readable): store-check <file> rows=<N> bytes=<B> check_ms=<T> open_ms=<T>
 */
import { mkdtemp, rm } from "node:fs/promises";
import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openRunStore } from "../src/audit/index.js";
import { openRequestCache, requestKey } from "../src/backends/index.js";

const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function zooSizedStore(dir: string): Promise<void> {
  const s = openRunStore(dir);
  const items = Array.from({ length: 1000 }, (_, i) => ({ id: `q${i}`, prompt: "What is 12 + 7? ".repeat(4), answer: "19", domain: "arithmetic" }));
  s.beginRun("zoo-pair", { models: [] }, items);
  for (const arm of ["base", "tuned1", "tuned1@base-format"]) {
    for (const probe of ["task.accuracy", "knowledge.retention"]) {
      for (const it of items) s.putRecord("zoo-pair", arm, probe, { itemId: it.id, values: { accuracy: 1 }, detail: { response: "Step 1: 12 + 7 = 19. ".repeat(40) } });
    }
  }
  s.close();
  const c = openRequestCache(join(dir, "cache.sqlite"));
  for (let b = 0; b < 61_500; b += 500) {
    c.put(Array.from({ length: 500 }, (_, j) => {
      const request = { prompt: `item ${b + j}: `.repeat(12), maxTokens: 160 };
      return { key: requestKey("m", "generate", request), kind: "generate" as const, modelId: "m", request, response: { text: "19 ".repeat(150) } };
    }));
  }
  c.close();
}

const dirs = process.argv.slice(2);
const temp = dirs.length === 0 ? await mkdtemp(join(tmpdir(), "ftledger-bench-store-")) : undefined;
if (temp) await zooSizedStore(temp);
for (const dir of temp ? [temp] : dirs) {
  for (const file of ["runs.sqlite", "cache.sqlite"].map((f) => join(dir, f)).filter((f) => existsSync(f))) {
    const db = new Database(file, { readonly: true });
    const table = file.endsWith("runs.sqlite") ? "records" : "requests";
    const rows = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    db.pragma("quick_check"); // warm the page cache
    const check = median(Array.from({ length: REPEATS }, () => timed(() => db.pragma("quick_check(3)"))));
    db.close();
    const open = median(Array.from({ length: REPEATS }, () => timed(() => new Database(file, { readonly: true }).close())));
    console.log(`store-check ${file} rows=${rows} bytes=${statSync(file).size} check_ms=${check.toFixed(1)} open_ms=${open.toFixed(2)}`);
  }
}
if (temp) await rm(temp, { recursive: true, force: true });
