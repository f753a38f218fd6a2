/**
 * What can go wrong with the run store, as data (`StoreError.detail`), and its message:
 * the file, what was wrong, and what to do next. `access` says who opened the store: an
 * audit (`write`, whose folder is its --store) or a reader such as `ftledger view`
 * (`read`, whose folder is its argument), so the advice names an option that exists.
 *
 * NOTE: no case deletes, repairs or rewrites the file. A run store's records cost model
 * calls to recompute, so only the user decides to move one aside.
 */
import { SQLITE_BUSY_TIMEOUT_MS } from "../backends/index.js";
import { shellWord } from "../formats/index.js";

export type StoreErrorDetail =
  /** The store folder cannot be created. `path` is the folder. */
  | { code: "cannot_create"; path: string; cause: string }
  /** A reader was given a path that does not exist, or a file that is not runs.sqlite. */
  | { code: "no_folder"; path: string; found: "nothing" | "a file" }
  /** A reader was given a folder without runs.sqlite. `path` is the file that is not there. */
  | { code: "missing"; path: string }
  /** Not a SQLite database, a folder in the way, or no permission to open it. */
  | { code: "cannot_open"; path: string; cause: string }
  /** An audit was given a store it may not write (a read-only file or folder). */
  | { code: "read_only"; path: string; cause: string }
  /** A SQLite database, but not an ftledger run store. */
  | { code: "not_a_store"; path: string; found: string }
  /** SQLite's integrity check found damaged pages (or a read hit one). */
  | { code: "damaged"; path: string; problems: string }
  /** A read-only folder whose runs.sqlite-wal holds records SQLite can read only where it may write its index. */
  | { code: "wal_unreadable"; path: string }
  /** A read or write on an open store failed. */
  | { code: "failed"; path: string; operation: string; sqlite: string; cause: string };

export type StoreErrorCode = StoreErrorDetail["code"];
export type StoreAccess = "read" | "write";


/** What to do with a damaged store: never "delete it", its records are not free to recompute. */
function damagedAdvice(path: string): string {
  return `ftledger leaves it as it is, since its records cost model calls to recompute: restore ${path} from a backup, ` +
    `or move it aside (mv ${shellWord(path)} ${shellWord(`${path}.damaged`)}) and rerun the audit, which starts a new store there ` +
    "(model calls already in the request cache beside it are not repeated).";
}

function failedAdvice(e: Extract<StoreErrorDetail, { code: "failed" }>, access: StoreAccess): string {
  const code = e.sqlite;
  const again = access === "write" ? "rerun the audit (it resumes from the records stored so far)" : "reload the page";
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) return `the file is damaged; ${damagedAdvice(e.path)}`;
  if (code.startsWith("SQLITE_FULL")) return `the disk is full: free some space, then ${again}.`;
  if (code.startsWith("SQLITE_IOERR")) return `the disk failed to read or write it: check the disk, then ${again}.`;
  if (code.startsWith("SQLITE_READONLY")) {
    return access === "write"
      ? "the file or its folder became read-only: make it writable again, or copy the folder somewhere writable and give --store the copy."
      : "the file or its folder cannot be read as it is now: copy the folder somewhere writable and view the copy.";
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return `another process held the store for more than ${SQLITE_BUSY_TIMEOUT_MS / 1000} s: when it is done, ${again}.`;
  return `${again}; if it fails again, report this message.`;
}

export function formatStoreError(e: StoreErrorDetail, access: StoreAccess): string {
  const elsewhere = access === "write" ? "give --store another folder" : "view another store folder";
  switch (e.code) {
    case "cannot_create":
      return `${e.path}: cannot create the store folder (${e.cause}); give --store a writable folder.`;
    case "no_folder":
      return e.found === "nothing"
        ? `${e.path}: no such folder; give the folder an audit stored its runs in (ftledger audit --store DIR; default .ftledger).`
        : `${e.path} is a file, not a run store folder; give the folder an audit stored its runs in (it holds runs.sqlite).`;
    case "missing":
      return `${e.path}: no run store here; run ftledger audit --store DIR first (it writes DIR/runs.sqlite), or give the folder an audit stored its runs in.`;
    case "cannot_open":
      return access === "write"
        ? `${e.path}: cannot open the run store (${e.cause}); give --store another folder, or move this file away.`
        : `${e.path}: cannot open the run store (${e.cause}); check that this user may read the file, or ${elsewhere}.`;
    case "read_only":
      return `${e.path}: the run store is read-only (${e.cause}); an audit writes every record as it completes: ` +
        "copy the store folder somewhere writable and give --store the copy (ftledger view reads it as it is).";
    case "not_a_store":
      return `${e.path}: cannot open the run store (it is a SQLite file but not an ftledger run store (${e.found})); ${elsewhere}, or move this file away.`;
    case "damaged":
      return `${e.path}: the run store is damaged (SQLite's integrity check: ${e.problems}). ${damagedAdvice(e.path)}`;
    case "wal_unreadable":
      return `${e.path}: its folder is read-only, and ${e.path}-wal holds records not yet in the file, which SQLite reads only where it may ` +
        "create its index beside them; copy the store folder (all its files) somewhere writable and view the copy.";
    case "failed":
      return `${e.path}: the run store failed while ${e.operation} (${e.sqlite}: ${e.cause}); ${failedAdvice(e, access)}`;
  }
}

/** Thrown by the run store; the data is `detail`. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly path: string;
  constructor(readonly detail: StoreErrorDetail, readonly access: StoreAccess = "write") {
    super(formatStoreError(detail, access));
    this.name = "StoreError";
    this.code = detail.code;
    this.path = detail.path;
  }
}
