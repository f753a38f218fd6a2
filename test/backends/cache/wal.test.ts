/**
 * enableWal: SQLite refuses `PRAGMA journal_mode = WAL` with SQLITE_BUSY at once (no busy
 * handler) while another process holds a write lock on the file; enableWal waits it out. This
 * was the rare SQLITE_BUSY in processes.test.ts, made deterministic: a child process holds a
 * write lock on a rollback-journal file for a moment.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { enableWal, sqliteCode } from "../../../src/backends/cache/index.js";
import { useTempDirs } from "./helpers.js";

const tempDir = useTempDirs();

/** A child that opens `path`, holds a write lock (RESERVED) for `holdMs`, then exits; resolves once it holds it. */
function holdWriteLock(path: string, holdMs: number): Promise<{ released: Promise<number | null> }> {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    console.log("holding");
    setTimeout(() => { db.exec("COMMIT"); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ["-e", script, path, String(holdMs)], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  const released = new Promise<number | null>((res) => child.on("close", res));
  return new Promise((res, rej) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("holding") && res({ released }));
    child.on("error", rej);
  });
}

function rollbackFile(dir: string): string {
  const path = join(dir, "db.sqlite");
  const db = new Database(path);
  db.exec("CREATE TABLE t (k TEXT)");
  db.close();
  return path;
}

describe("enableWal", () => {
  it("SQLite alone fails with SQLITE_BUSY while another process holds a write lock; enableWal waits and switches", async () => {
    const path = rollbackFile(tempDir());
    const holder = await holdWriteLock(path, 400);
    const db = new Database(path, { timeout: 5000 });
    let code: string | undefined;
    try {
      db.pragma("journal_mode = WAL");
    } catch (e) {
      code = sqliteCode(e);
    }
    expect(code).toBe("SQLITE_BUSY"); // the busy timeout did not help: this is the trap
    enableWal(db);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
    expect(await holder.released).toBe(0);
  });

  it("is a no-op on a file already in WAL mode", () => {
    const path = rollbackFile(tempDir());
    const db = new Database(path);
    enableWal(db);
    enableWal(db);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    db.close();
  });
});
