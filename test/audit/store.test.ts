/**
 * The run store (src/audit/store.ts): a file that is not our store is refused and left
 * byte-for-byte as it was; runs resume with their records; a record is written once; a
 * damaged file is refused on open, and every SQLite error names the file; read-only opens
 * never write.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openRunStore, StoreError, type RunStore } from "../../src/audit/index.js";
import type { Item, ItemRecord } from "../../src/probes/index.js";
import { damagePage, damageUnderOpenConnection, pageCount } from "../helpers/sqlite-damage.js";

const tempDir = () => mkdtemp(join(tmpdir(), "ftledger-store-"));

const items: Item[] = [
  { id: "q2", prompt: "second", answer: "2", domain: "math" },
  { id: "q1", prompt: "first", answer: "1", domain: "math", options: ["1", "2"] },
  { id: "q3", prompt: "third", answer: "3", domain: "code" },
];

const rec = (itemId: string, accuracy: number | null, detail: Record<string, unknown> = {}): ItemRecord => ({ itemId, values: { accuracy }, detail });

function openError(dir: string): StoreError {
  try {
    openRunStore(dir).close();
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error("expected a StoreError");
}

async function withStore<T>(f: (s: RunStore, dir: string) => T | Promise<T>): Promise<T> {
  const dir = await tempDir();
  const s = openRunStore(dir);
  try {
    return await f(s, dir);
  } finally {
    s.close();
  }
}

describe("openRunStore: refusing files that are not our store", () => {
  it("a non-SQLite runs.sqlite is refused with a StoreError and left byte-for-byte unchanged", async () => {
    const dir = await tempDir();
    const path = join(dir, "runs.sqlite");
    const bytes = Buffer.from("these are my notes, not a database\n".repeat(200));
    await writeFile(path, bytes);
    const e = openError(dir);
    expect(e.message).toContain(`${path}: cannot open the run store (`);
    expect(e.message).toContain("give --store another folder, or move this file away.");
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(["runs.sqlite"]);
  });

  it("a refused file is closed again (no file descriptor left open)", async () => {
    if (!existsSync("/proc/self/fd")) return; // Linux only
    const dir = await tempDir();
    await writeFile(join(dir, "runs.sqlite"), "not a database\n".repeat(100));
    const before = readdirSync("/proc/self/fd").length;
    for (let i = 0; i < 5; i++) openError(dir);
    expect(readdirSync("/proc/self/fd").length).toBe(before);
  });

  it("a SQLite file of something else is refused and left unchanged", async () => {
    const dir = await tempDir();
    const path = join(dir, "runs.sqlite");
    const other = new Database(path);
    other.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat.jpg');");
    other.close();
    const bytes = await readFile(path);
    const e = openError(dir);
    expect(e.message).toContain("it is a SQLite file but not an ftledger run store (schema missing, expected ftledger.runs/1)");
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(["runs.sqlite"]);
  });

  it("a SQLite file with a meta table of another schema is refused", async () => {
    const dir = await tempDir();
    const other = new Database(join(dir, "runs.sqlite"));
    other.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', 'someone.else/3');");
    other.close();
    expect(openError(dir).message).toContain("(schema someone.else/3, expected ftledger.runs/1)");
  });

  it("a folder named runs.sqlite is refused", async () => {
    const dir = await tempDir();
    mkdirSync(join(dir, "runs.sqlite"));
    expect(openError(dir).message).toContain("it is a folder");
  });

  it("creates the folder and the file, and reopens its own store", async () => {
    const dir = join(await tempDir(), "nested", "store");
    const s = openRunStore(dir);
    expect(s.path).toBe(join(dir, "runs.sqlite"));
    s.beginRun("r1", { a: 1 }, items);
    s.putRecord("r1", "base", "p", rec("q1", 1));
    s.close();
    expect(existsSync(join(dir, "runs.sqlite"))).toBe(true);
    const again = openRunStore(dir);
    expect(again.records("r1", "base", "p")).toEqual([rec("q1", 1)]);
    again.close();
  });
});

describe("runs and records", () => {
  it("beginRun twice: existed the second time, the first manifest and the records survive", () =>
    withStore((s) => {
      expect(s.beginRun("r1", { version: 1 }, items)).toEqual({ existed: false });
      s.putRecord("r1", "base", "task.accuracy", rec("q1", 1, { response: "1" }));
      s.putRecord("r1", "tuned1", "task.accuracy", rec("q1", 0));
      expect(s.beginRun("r1", { version: 2 }, items.slice(0, 1))).toEqual({ existed: true });
      expect(s.records("r1", "base", "task.accuracy")).toEqual([rec("q1", 1, { response: "1" })]);
      expect(s.records("r1", "tuned1", "task.accuracy")).toEqual([rec("q1", 0)]);
      expect(s.run("r1")?.manifest).toEqual({ version: 1 });
      expect(s.items("r1")).toEqual(items);
      expect(s.countRecords("r1")).toBe(2);
    }));

  it("items come back in the order given; records in item-id order", () =>
    withStore((s) => {
      s.beginRun("r1", {}, items);
      expect(s.items("r1").map((it) => it.id)).toEqual(["q2", "q1", "q3"]);
      for (const id of ["q3", "q1", "q2"]) s.putRecord("r1", "base", "p", rec(id, 1));
      expect(s.records("r1", "base", "p").map((r) => r.itemId)).toEqual(["q1", "q2", "q3"]);
      expect(s.items("nope")).toEqual([]);
    }));

  it("doneItems lists the stored item ids of exactly one (run, arm, probe)", () =>
    withStore((s) => {
      s.beginRun("r1", {}, items);
      s.beginRun("r2", {}, items);
      s.putRecord("r1", "base", "p", rec("q1", 1));
      s.putRecord("r1", "base", "p", rec("q3", null));
      s.putRecord("r1", "base", "other", rec("q2", 1));
      s.putRecord("r1", "tuned1", "p", rec("q2", 1));
      s.putRecord("r2", "base", "p", rec("q2", 1));
      expect(s.doneItems("r1", "base", "p")).toEqual(new Set(["q1", "q3"]));
      expect(s.doneItems("r1", "tuned1", "p")).toEqual(new Set(["q2"]));
      expect(s.doneItems("r1", "tuned2", "p")).toEqual(new Set());
      expect(s.countRecords("r1")).toBe(4);
      expect(s.countRecords("r2")).toBe(1);
    }));

  it("putRecord of the same (run, arm, probe, item) twice keeps the first", () =>
    withStore((s) => {
      s.beginRun("r1", {}, items);
      s.putRecord("r1", "base", "p", rec("q1", 1, { response: "first" }));
      s.putRecord("r1", "base", "p", rec("q1", 0, { response: "second" }));
      expect(s.records("r1", "base", "p")).toEqual([rec("q1", 1, { response: "first" })]);
      expect(s.countRecords("r1")).toBe(1);
    }));

  it("a null value and a note survive the round trip", () =>
    withStore((s) => {
      s.beginRun("r1", {}, items);
      const r: ItemRecord = { itemId: "q2", values: { accuracy: null, aux: 0.25 }, note: "no answer line", detail: { response: "…", n: [1, 2] } };
      s.putRecord("r1", "base", "p", r);
      expect(s.records("r1", "base", "p")).toEqual([r]);
    }));

  it("finishRun: the run is complete and keeps its result; runs() lists it", () =>
    withStore((s) => {
      s.beginRun("r1", { m: "x" }, items);
      const before = s.run("r1");
      expect(before).toMatchObject({ id: "r1", status: "running", manifest: { m: "x" }, result: undefined });
      const result = { schema: "ftledger.audit-result/1", ledgers: [{ rows: [{ p: null, delta: -0.05 }] }] };
      s.finishRun("r1", result);
      const after = s.run("r1");
      expect(after?.status).toBe("complete");
      expect(after?.result).toEqual(result);
      expect(after?.created).toBe(before?.created);
      expect(Date.parse(after!.updated)).toBeGreaterThanOrEqual(Date.parse(before!.updated));
      expect(s.run("missing")).toBeUndefined();
      expect(s.runs().map((r) => [r.id, r.status])).toEqual([["r1", "complete"]]);
    }));
});

/** A store with `n` records of a few hundred bytes each (several pages of records), closed. */
async function filledStore(n: number): Promise<{ dir: string; path: string }> {
  const dir = await tempDir();
  const s = openRunStore(dir);
  s.beginRun("r1", { m: 1 }, Array.from({ length: n }, (_, i) => ({ id: `q${i}`, prompt: "p".repeat(100), answer: "1", domain: "math" })));
  for (let i = 0; i < n; i++) s.putRecord("r1", "base", "p", rec(`q${i}`, 1, { response: "x".repeat(300) }));
  s.close();
  return { dir, path: join(dir, "runs.sqlite") };
}



describe("a damaged store", () => {
  it("a page damaged in the middle of the file: the open fails naming the file and what to do, and writes nothing", async () => {
    const { dir, path } = await filledStore(200);
    const pages = pageCount(path);
    expect(pages).toBeGreaterThan(10);
    damagePage(path, Math.floor(pages / 2));
    const bytes = await readFile(path);
    const e = openError(dir);
    expect(e.code).toBe("damaged");
    expect(e.path).toBe(path);
    expect(e.message).toContain(`${path}: the run store is damaged (SQLite's integrity check: `);
    expect(e.message).toContain(`restore ${path} from a backup, or move it aside (mv ${path} ${path}.damaged) and rerun the audit`);
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(["runs.sqlite"]);
    // the advice works: moved aside, the folder takes a new store
    renameSync(path, `${path}.damaged`);
    openRunStore(dir).close();
  });

  it("a write that fails later (the file damaged while the store is open) names the file", async () => {
    const { dir, path } = await filledStore(200);
    const s = openRunStore(dir);
    try {
      s.beginRun("r2", {}, items);
      // another connection moves every record into the main file, which is then damaged
      // everywhere but the header page and the meta table; its next commit makes the store
      // re-read its pages
      damageUnderOpenConnection(path, "meta", "INSERT INTO meta (key, value) VALUES ('touched', 'yes')");
      let err: unknown;
      try {
        for (let i = 0; i < 20; i++) s.putRecord("r1", "tuned1", "p", rec(`q${i}`, 1));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StoreError);
      const e = err as StoreError;
      expect(e.code).toBe("failed");
      expect(e.message).toContain(`${path}: the run store failed while writing a record (SQLITE_CORRUPT`);
      expect(e.message).toContain(`restore ${path} from a backup`);
    } finally {
      s.close();
    }
  });
});

describe("the store at rest, and read-only opens", () => {
  it("an audit's close leaves one self-contained file: rollback journal, no -wal or -shm", async () => {
    const { dir, path } = await filledStore(20);
    expect(readdirSync(dir)).toEqual(["runs.sqlite"]);
    const header = await readFile(path);
    expect([header[18], header[19]]).toEqual([1, 1]); // 2, 2 would be WAL
    const again = openRunStore(dir);
    expect(again.countRecords("r1")).toBe(20);
    again.close();
  });

  it("while another connection is open, close does not wait for it, and the last one switches", async () => {
    const { dir, path } = await filledStore(5);
    const a = openRunStore(dir), b = openRunStore(dir);
    a.close(); // b still open: stays WAL, without waiting the busy timeout
    expect((await readFile(path))[18]).toBe(2);
    b.close();
    expect((await readFile(path))[18]).toBe(1);
  });

  it("readonly: reads every run and record, and leaves the file's bytes and mtime as they were", async () => {
    const { dir, path } = await filledStore(30);
    const before = { bytes: await readFile(path), mtime: statSync(path).mtimeMs };
    const s = openRunStore(dir, { readonly: true });
    expect(s.runs().map((r) => r.id)).toEqual(["r1"]);
    expect(s.records("r1", "base", "p")).toHaveLength(30);
    expect(s.items("r1")).toHaveLength(30);
    expect(() => s.putRecord("r1", "base", "p", rec("new", 1))).toThrow(`${path}: the run store failed while writing a record (SQLITE_READONLY`);
    s.close();
    expect((await readFile(path)).equals(before.bytes)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(before.mtime);
    expect(readdirSync(dir)).toEqual(["runs.sqlite"]);
  });

  it("readonly: a missing folder or store is an error, and nothing is created", async () => {
    const dir = await tempDir();
    expect(() => openRunStore(join(dir, "nope"), { readonly: true })).toThrow(`${join(dir, "nope")}: no such folder`);
    expect(() => openRunStore(dir, { readonly: true })).toThrow(`${join(dir, "runs.sqlite")}: no run store here`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
