import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { canonicalJson, openRequestCache, RequestCacheError, requestKey } from "../../../src/backends/cache/index.js";
import { useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();

/** Open must throw a RequestCacheError of `code` naming the file, and leave the folder exactly as it was. */
function expectRefused(path: string, code: string, message: RegExp): RequestCacheError {
  const dir = join(path, "..");
  const before = readFileSync(path);
  const files = readdirSync(dir).sort();
  let err: unknown;
  try {
    openRequestCache(path).close();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RequestCacheError);
  const e = err as RequestCacheError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(path);
  expect(e.message).toMatch(message);
  expect(e.message).toMatch(/left untouched/);
  expect(readFileSync(path).equals(before)).toBe(true);
  expect(readdirSync(dir).sort()).toEqual(files); // no -wal / -shm / -journal left behind
  return e;
}

describe("requestKey", () => {
  it("ignores a request's AbortSignal (how to stop a call is not what it asks)", () => {
    const plain = requestKey("m", "generate", { prompt: "p", maxTokens: 4 });
    expect(requestKey("m", "generate", { prompt: "p", maxTokens: 4, signal: new AbortController().signal })).toBe(plain);
    expect(canonicalJson({ prompt: "p", signal: AbortSignal.abort() })).toBe(canonicalJson({ prompt: "p" }));
  });
});

describe("openRequestCache", () => {
  it("creates parent folders, a WAL database with a schema version table, and stores rows as specified", () => {
    const path = join(tempDir(), "a", "b", "cache.sqlite");
    const cache = openRequestCache(path);
    expect(cache.path).toBe(path);
    const key = requestKey("m1", "score", { prompt: "p", continuation: "c" });
    cache.put([{ key, kind: "score", modelId: "m1", request: { prompt: "p", continuation: "c" }, response: { logprob: -1 } }]);
    cache.put([{ key, kind: "score", modelId: "m1", request: { prompt: "p", continuation: "c" }, response: { logprob: -2 } }]); // ignored
    expect(cache.get(key)).toEqual({ response: { logprob: -1 } });
    expect(cache.get("0".repeat(64))).toBeUndefined();
    cache.close();

    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.prepare("SELECT app, version FROM cache_schema").all()).toEqual([{ app: "ftledger-request-cache", version: 1 }]);
    const row = db.prepare("SELECT * FROM requests").get() as Record<string, string>;
    db.close();
    expect(row.key).toBe(key);
    expect(row.key).toMatch(/^[0-9a-f]{64}$/);
    expect(row).toMatchObject({ kind: "score", model_id: "m1", request: canonicalJson({ continuation: "c", prompt: "p" }) });
    expect(JSON.parse(row.response)).toEqual({ logprob: -1 });
    expect(Number.isNaN(Date.parse(row.created_at))).toBe(false);
  });

  it("reopens its own cache, and accepts an empty file as a new database", () => {
    const dir = tempDir();
    openRequestCache(join(dir, "c.sqlite")).close();
    openRequestCache(join(dir, "c.sqlite")).close();
    writeFileSync(join(dir, "empty.sqlite"), "");
    const c = openRequestCache(join(dir, "empty.sqlite"));
    expect(c.size()).toBe(0);
    c.close();
  });

  it("refuses a file of random bytes with a clear error and leaves it untouched", () => {
    const path = join(tempDir(), "corrupt.sqlite");
    writeFileSync(path, randomBytes(8192));
    expectRefused(path, "not_sqlite", /not a SQLite database/);
  });

  it("refuses a file with a SQLite header but corrupt pages", () => {
    const path = join(tempDir(), "half.sqlite");
    writeFileSync(path, Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), randomBytes(4096)]));
    expectRefused(path, "not_sqlite", /not a SQLite database/);
  });

  it("refuses a tiny non-SQLite file (a typo'd path to a text file)", () => {
    const path = join(tempDir(), "notes.txt");
    writeFileSync(path, "my notes\n");
    expectRefused(path, "not_sqlite", /not a SQLite database/);
  });

  it("refuses a SQLite database of another schema, naming its tables, and leaves it untouched", () => {
    const path = join(tempDir(), "other.sqlite");
    const db = new Database(path);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada');");
    db.close();
    const e = expectRefused(path, "wrong_schema", /not an ftledger request cache.*users/);
    expect(e.path).toBe(path);
    const again = new Database(path, { readonly: true });
    expect(again.pragma("journal_mode", { simple: true })).toBe("delete"); // not switched to WAL
    expect(again.prepare("SELECT name FROM users").all()).toEqual([{ name: "ada" }]);
    again.close();
  });

  it("refuses another ftledger schema version, and another app's cache_schema", () => {
    const dir = tempDir();
    const path = join(dir, "future.sqlite");
    openRequestCache(path).close();
    const db = new Database(path);
    db.exec("UPDATE cache_schema SET version = 2");
    db.close();
    expectRefused(path, "unsupported_version", /schema version 2.*reads version 1/);

    const other = join(dir, "lookalike.sqlite");
    const db2 = new Database(other);
    db2.exec("CREATE TABLE cache_schema (id INTEGER PRIMARY KEY, app TEXT, version INTEGER); INSERT INTO cache_schema VALUES (1, 'someone-else', 1);");
    db2.close();
    expectRefused(other, "wrong_schema", /someone-else/);
  });

  it("says so when the path is a folder", () => {
    const path = join(tempDir(), "dir.sqlite");
    mkdirSync(path);
    expect(() => openRequestCache(path)).toThrow(/cannot open.*folder/);
    expect(existsSync(path)).toBe(true);
  });
});
