/**
 * What can go wrong opening a request cache, as data (docs/CONTRIBUTING.md §9), rendered by
 * `formatRequestCacheError`: what was wrong, which file, and what to do next.
 *
 * NOTE: every case leaves the file untouched. The cache never repairs, migrates or
 * overwrites a file it did not create: a wrong path must not cost a user their data.
 */

export type RequestCacheErrorDetail =
  /** The file exists but does not start with the SQLite header (or SQLite calls it corrupt). */
  | { code: "not_sqlite"; path: string; reason: string }
  /** A SQLite database, but not an ftledger request cache. */
  | { code: "wrong_schema"; path: string; found: string }
  /** An ftledger request cache of a schema version this ftledger does not read. */
  | { code: "unsupported_version"; path: string; version: number; supported: number }
  /** The folder cannot be created or the file cannot be opened (permissions, a directory in the way). */
  | { code: "cannot_open"; path: string; cause: string };

export type RequestCacheErrorCode = RequestCacheErrorDetail["code"];

const LEAVE = "The file was left untouched";

export function formatRequestCacheError(e: RequestCacheErrorDetail): string {
  switch (e.code) {
    case "not_sqlite":
      return `request cache ${e.path}: not a SQLite database (${e.reason}). ${LEAVE}; point the cache at a new file, or move this one away if it is not needed.`;
    case "wrong_schema":
      return `request cache ${e.path}: a SQLite database, but not an ftledger request cache (${e.found}). ${LEAVE}; point the cache at a new file (another database's file is never reused).`;
    case "unsupported_version":
      return `request cache ${e.path}: schema version ${e.version}, but this ftledger reads version ${e.supported}. ${LEAVE}; use the ftledger that wrote it, or point the cache at a new file.`;
    case "cannot_open":
      return `request cache ${e.path}: cannot open (${e.cause}). Check that the folder is writable and that the path names a file, not a folder.`;
  }
}

/** Thrown by `openRequestCache`; the data is `detail`. */
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
