/** Damaging SQLite files on purpose, for the store and cache integrity tests. */
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import Database from "better-sqlite3";

/** SQLite's default page size (the stores never change it). */
export const PAGE = 4096;

/** Pages in the file. */
export const pageCount = (path: string): number => statSync(path).size / PAGE;

/** Garbage over a page's header and cell pointers (past the 100-byte file header on page 1). */
export function damagePage(path: string, page: number): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (page - 1) * PAGE + 8);
  } finally {
    closeSync(fd);
  }
}

/**
 * Damage a database that another connection holds open: a second connection moves every
 * row into the main file, every page but the header page and table `keep`'s root is then
 * damaged, and `touch` (a write to `keep`) is committed, so the open connection re-reads
 * its pages on its next access.
 */
export function damageUnderOpenConnection(path: string, keep: string, touch: string): void {
  const other = new Database(path);
  other.pragma("wal_checkpoint(TRUNCATE)");
  const root = (other.prepare("SELECT rootpage FROM sqlite_master WHERE name = ?").get(keep) as { rootpage: number }).rootpage;
  for (let p = 2; p <= pageCount(path); p++) if (p !== root) damagePage(path, p);
  other.prepare(touch).run();
  other.close();
}
