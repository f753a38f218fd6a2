/**
 * A damaged request cache: refused on open (SQLite's integrity check) naming the file and
 * left as it was; a failure on an open cache names the file; and the advice — move the
 * file aside — works, also through `ftledger audit`.
 */
import { readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openRequestCache, RequestCacheError, requestKey, type CacheEntry } from "../../../src/backends/cache/index.js";
import { ftledger } from "../../cli/run-cli.js";
import { useTempDirs } from "./helpers.js";
import { damagePage, damageUnderOpenConnection, pageCount } from "../../helpers/sqlite-damage.js";

const tempDir = useTempDirs();

function entry(i: number): CacheEntry {
  const request = { prompt: `prompt ${i} `.repeat(20), continuation: "c" };
  return { key: requestKey("m1", "score", request), kind: "score", modelId: "m1", request, response: { logprob: -i, text: "r".repeat(200) } };
}

/** A closed cache of `n` entries, several pages long. */
function filledCache(n: number): string {
  const path = join(tempDir(), "cache.sqlite");
  const c = openRequestCache(path);
  c.put(Array.from({ length: n }, (_, i) => entry(i)));
  c.close();
  return path;
}


function openError(path: string): RequestCacheError {
  try {
    openRequestCache(path).close();
  } catch (e) {
    if (e instanceof RequestCacheError) return e;
    throw e;
  }
  throw new Error("expected a RequestCacheError");
}

describe("a damaged request cache", () => {
  it("a page damaged in the middle: refused naming the file, left untouched; moved aside as advised, a new cache starts", () => {
    const path = filledCache(300);
    const pages = pageCount(path);
    expect(pages).toBeGreaterThan(10);
    damagePage(path, Math.floor(pages / 2));
    const bytes = readFileSync(path);
    const files = readdirSync(join(path, ".."));
    const e = openError(path);
    expect(e.code).toBe("damaged");
    expect(e.message).toContain(`request cache ${path}: damaged (SQLite's integrity check: `);
    expect(e.message).toContain(`The file was left untouched; move it aside (mv ${path} ${path}.damaged)`);
    expect(e.message).not.toMatch(/point the cache/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(join(path, ".."))).toEqual(files);

    renameSync(path, `${path}.damaged`);
    const fresh = openRequestCache(path);
    expect(fresh.size()).toBe(0);
    fresh.put([entry(1)]);
    expect(fresh.get(entry(1).key)).toEqual({ response: entry(1).response });
    fresh.close();
  });

  it("a read that fails later (the file damaged while the cache is open) names the file", () => {
    const path = filledCache(300);
    const cache = openRequestCache(path);
    try {
      expect(cache.get(entry(5).key)).toBeDefined();
      // another connection moves every row into the main file, which is then damaged
      // everywhere but the header page and cache_schema; its next commit makes this
      // connection re-read its pages
      damageUnderOpenConnection(path, "cache_schema", "UPDATE cache_schema SET app = app WHERE id = 1");
      let err: unknown;
      try {
        for (let i = 0; i < 300; i++) cache.get(entry(i).key);
        cache.put([entry(1000)]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RequestCacheError);
      const e = err as RequestCacheError;
      expect(e.code).toBe("failed");
      expect(e.message).toMatch(new RegExp(`^request cache ${path}: (reading a cached response|storing responses) failed \\(SQLITE_CORRUPT`));
      expect(e.message).toContain(`move it aside (mv ${path} ${path}.damaged)`);
    } finally {
      cache.close();
    }
  });
});

describe("ftledger audit with a damaged cache", () => {
  it("exits 2 naming the cache file; after moving it aside as advised, the audit runs", () => {
    const store = tempDir();
    const audit = () => ftledger("audit", "--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-s", "--probes", "task.accuracy",
      "--suite", "arithmetic", "--n", "4", "--store", store, "--quiet", "--json");
    const first = audit();
    expect(first.code, first.stderr).toBe(0);
    const path = join(store, "cache.sqlite");
    const db = new Database(path, { readonly: true });
    const requests = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'requests'").get() as { rootpage: number }).rootpage;
    db.close();
    damagePage(path, requests);

    const refused = audit();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`request cache ${path}: damaged`);
    const advice = /\(mv (\S+) (\S+)\)/.exec(refused.stderr);
    expect(advice?.[1]).toBe(path);
    renameSync(advice![1], advice![2]);

    const again = audit();
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { resumed: boolean }).resumed).toBe(true); // the run store's records were kept
  }, 120_000);
});
