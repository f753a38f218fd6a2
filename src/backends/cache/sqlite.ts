/**
 * What the request cache and the audit's run store share about SQLite files
 * (better-sqlite3): the busy timeout, error codes, and the integrity check each runs when
 * it opens a file.
 */
import Database from "better-sqlite3";

/** How long a process waits for another's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;
/** Problems the integrity check lists at most (its cost is one pass over every page either way). */
const MAX_PROBLEMS = 3;

/** The SQLite error code of a better-sqlite3 error (SQLITE_CORRUPT, SQLITE_FULL, …); undefined for anything else. */
export function sqliteCode(e: unknown): string | undefined {
  return e instanceof Database.SqliteError ? e.code : undefined;
}

/**
 * Switch a connection to WAL journal mode (https://sqlite.org/wal.html), retrying while
 * another process holds the file.
 * NOTE: SQLite answers `PRAGMA journal_mode = WAL` with SQLITE_BUSY at once, without calling
 * the busy handler, when another connection is using the file at that moment (several
 * processes opening one new file together), so the busy timeout alone does not cover it.
 */
export function enableWal(db: Database.Database): void {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      if (db.pragma("journal_mode", { simple: true }) === "wal") return;
      db.pragma("journal_mode = WAL");
      return;
    } catch (e) {
      if (!sqliteCode(e)?.startsWith("SQLITE_BUSY") || Date.now() >= deadline) throw e;
      sleepMs(Math.min(100, 2 ** attempt)); // back off: 1, 2, 4 … 100 ms
    }
  }
}

/** Block this thread for `ms` (SQLite setup is synchronous; nothing else may run meanwhile). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Does this code say the file is damaged (or not a database)? */
export const isSqliteDamage = (code: string | undefined): boolean => code === "SQLITE_NOTADB" || !!code?.startsWith("SQLITE_CORRUPT");

/**
 * SQLite's quick_check: every page's structure, without the index-content cross-check of
 * integrity_check. null when the file is sound, else the first problems it found.
 */
export function integrityProblems(db: Database.Database): string | null {
  let rows: Record<string, unknown>[];
  try {
    rows = db.pragma(`quick_check(${MAX_PROBLEMS})`) as Record<string, unknown>[];
  } catch (e) {
    if (isSqliteDamage(sqliteCode(e))) return (e as Error).message;
    throw e;
  }
  const lines = rows.map((r) => String(Object.values(r)[0]));
  if (lines.length === 1 && lines[0] === "ok") return null;
  return lines.join("; ").replace(/\*\*\* in database main \*\*\*\s*/g, "").replace(/\s*\n\s*/g, "; ");
}
