/**
 * What can go wrong with a request cache, as data (docs/CONTRIBUTING.md §9), rendered by
 * `formatRequestCacheError`: what was wrong, which file, and what to do next.
 *
 * NOTE: every case leaves the file untouched. The cache never repairs, migrates or
 * overwrites a file it did not create: a wrong path must not cost a user their data. What
 * it advises instead is moving the file aside: a cache holds only model responses, so the
 * next run starts a new one at the same path and asks the models again.
 */
import { shellWord } from "../../formats/index.js";

export type RequestCacheErrorDetail =
  /** The file exists but does not start with the SQLite header (or SQLite calls it corrupt). */
  | { code: "not_sqlite"; path: string; reason: string }
  /** A SQLite database, but not an ftledger request cache. */
  | { code: "wrong_schema"; path: string; found: string }
  /** An ftledger request cache of a schema version this ftledger does not read. */
  | { code: "unsupported_version"; path: string; version: number; supported: number }
  /** The folder cannot be created or the file cannot be opened (permissions, a directory in the way). */
  | { code: "cannot_open"; path: string; cause: string }
  /** Our cache, but SQLite's integrity check found damaged pages. */
  | { code: "damaged"; path: string; problems: string }
  /** A read or write on an open cache failed. */
  | { code: "failed"; path: string; operation: string; sqlite: string; cause: string };

export type RequestCacheErrorCode = RequestCacheErrorDetail["code"];

const LEAVE = "The file was left untouched";
const BUSY_SECONDS = 10;

/** The advice that works for any cache file: it holds only responses, which are asked for again. */
function moveAside(path: string, suffix: string): string {
  return `move it aside (mv ${shellWord(path)} ${shellWord(`${path}.${suffix}`)}): a request cache holds only model responses, and the next run starts a new one there and asks the models again`;
}

function failedAdvice(e: Extract<RequestCacheErrorDetail, { code: "failed" }>): string {
  const code = e.sqlite;
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) return `the file is damaged; ${moveAside(e.path, "damaged")}.`;
  if (code.startsWith("SQLITE_FULL")) return "the disk is full: free some space and rerun (what is cached stays).";
  if (code.startsWith("SQLITE_IOERR")) return "the disk failed to read or write it: check the disk and rerun.";
  if (code.startsWith("SQLITE_READONLY")) return `the file or its folder is read-only: make it writable, or ${moveAside(e.path, "readonly")}.`;
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return `another process held the cache for more than ${BUSY_SECONDS} s: rerun when it is done.`;
  return "rerun; if it fails again, report this message.";
}

export function formatRequestCacheError(e: RequestCacheErrorDetail): string {
  switch (e.code) {
    case "not_sqlite":
      return `request cache ${e.path}: not a SQLite database (${e.reason}). ${LEAVE}; if nothing else of yours lives at this path, ${moveAside(e.path, "bad")}.`;
    case "wrong_schema":
      return `request cache ${e.path}: a SQLite database, but not an ftledger request cache (${e.found}). ${LEAVE} (another database's file is never reused); move it out of the way, and the next run starts a new cache there.`;
    case "unsupported_version":
      return `request cache ${e.path}: schema version ${e.version}, but this ftledger reads version ${e.supported}. ${LEAVE}; use the ftledger that wrote it, or ${moveAside(e.path, `v${e.version}`)}.`;
    case "cannot_open":
      return `request cache ${e.path}: cannot open (${e.cause}). Check that the folder is writable and that the path names a file, not a folder.`;
    case "damaged":
      return `request cache ${e.path}: damaged (SQLite's integrity check: ${e.problems}). ${LEAVE}; ${moveAside(e.path, "damaged")} (an audit's run store, runs.sqlite, is a separate file: its records are kept).`;
    case "failed":
      return `request cache ${e.path}: ${e.operation} failed (${e.sqlite}: ${e.cause}); ${failedAdvice(e)}`;
  }
}

/** Thrown by `openRequestCache` and by an open cache's methods; the data is `detail`. */
export class RequestCacheError extends Error {
  readonly code: RequestCacheErrorCode;
  readonly path: string;
  readonly detail: RequestCacheErrorDetail;
  constructor(detail: RequestCacheErrorDetail) {
    super(formatRequestCacheError(detail));
    this.name = "RequestCacheError";
    this.code = detail.code;
    this.path = detail.path;
    this.detail = detail;
  }
}
