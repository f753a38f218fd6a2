/**
 * The run store's SQLite file: opening it for an audit (read-write) or a reader
 * (read-only), SQLite's integrity check, and SQLite's errors as `StoreError`s that name
 * the file.
 *
 * Read-only opens and WAL: a reader of a WAL-mode database needs its `-shm` index, which
 * SQLite creates beside the file; in a read-only folder (a store kept as a CI artefact)
 * it cannot, and the first read fails with SQLITE_READONLY_DIRECTORY. better-sqlite3 is
 * built without URI filenames, so SQLite's `immutable=1` is out of reach; instead:
 *   1. an audit switches its store back to a rollback journal when it closes it last
 *      (store.ts), so a store at rest is one self-contained file any reader can open;
 *   2. a WAL-mode file that cannot be opened in place (a store written before 1., or by
 *      an audit that was killed) is read from a copy in memory, when its `-wal` holds
 *      nothing; when it does, the copy would miss those records, and that is an error.
 */
import { readFileSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { SQLITE_BUSY_TIMEOUT_MS, sqliteCode } from "../backends/index.js";
import { StoreError, type StoreAccess, type StoreErrorDetail } from "./store-errors.js";


export type Sqlite = Database.Database;


/** Is a failure to read in place the read-only-folder case a copy in memory can serve? */
function needsCopy(e: unknown): boolean {
  const code = sqliteCode(e);
  return code === "SQLITE_READONLY_DIRECTORY" || code === "SQLITE_READONLY_CANTINIT" || code === "SQLITE_CANTOPEN";
}

/** The file read into memory as a rollback-journal database (header bytes 18-19: 2 = WAL, 1 = rollback). */
function copyInMemory(path: string): Sqlite {
  if ((statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) throw new StoreError({ code: "wal_unreadable", path }, "read");
  const bytes = readFileSync(path);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  return new Database(bytes, { readonly: true });
}

/** Open `path` read-only (never writes it, nor creates it) and make the first read. */
export function openReadOnly(path: string): Sqlite {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    db.prepare("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (e) {
    db.close();
    if (needsCopy(e)) return copyInMemory(path);
    throw e;
  }
}

/** A SQLite error from opening or checking the file, as the StoreError a user reads. */
export function openFailure(e: unknown, path: string, access: StoreAccess): StoreError {
  if (e instanceof StoreError) return e;
  const code = sqliteCode(e);
  const cause = (e as Error).message;
  let detail: StoreErrorDetail;
  if (code?.startsWith("SQLITE_CORRUPT")) detail = { code: "damaged", path, problems: cause };
  else if (access === "write" && code?.startsWith("SQLITE_READONLY")) detail = { code: "read_only", path, cause };
  else detail = { code: "cannot_open", path, cause };
  return new StoreError(detail, access);
}

/** A SQLite error from an open store's `operation`, naming the file; anything else passes through. */
export function operationFailure(e: unknown, path: string, access: StoreAccess, operation: string): unknown {
  const code = sqliteCode(e);
  if (code === undefined) return e;
  return new StoreError({ code: "failed", path, operation, sqlite: code, cause: (e as Error).message }, access);
}
