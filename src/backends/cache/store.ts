/**
 * The request cache on disk: one SQLite file that several processes may share.
 *
 * 1. A file that exists is checked before SQLite writes anything: the 16-byte SQLite
 *    header first, then the schema (read-only). Anything that is not our cache is
 *    refused with a `RequestCacheError` and left byte-for-byte as it was.
 * 2. WAL journal mode (readers never block the writer, https://sqlite.org/wal.html)
 *    and a busy timeout, so concurrent processes wait for each other's short write
 *    transactions instead of failing with SQLITE_BUSY.
 * 3. Every write is INSERT OR IGNORE in one transaction: a row is there whole or not
 *    at all, and when two processes compute the same request the first row stays.
 * 4. An existing cache passes SQLite's integrity check (quick_check) before it is used, so
 *    a damaged file is refused and left as it was; later SQLite errors name the file too.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { canonicalJson, fromCacheJson, type RequestKind } from "./canonical.js";
import { RequestCacheError, type RequestCacheErrorDetail } from "./errors.js";
import { CREATE_SCHEMA, inspectSchema } from "./schema.js";
import { enableWal, integrityProblems, SQLITE_BUSY_TIMEOUT_MS, sqliteCode } from "./sqlite.js";

const SQLITE_HEADER = Buffer.from("SQLite format 3\0", "latin1");

export interface CacheEntry {
  /** `requestKey(modelId, kind, request)`. */
  key: string;
  kind: RequestKind;
  modelId: string;
  request: unknown;
  response: unknown;
}

export interface RequestCache {
  /** Absolute path of the SQLite file. */
  readonly path: string;
  /** The stored response for `key`, or undefined when there is none. */
  get(key: string): { response: unknown } | undefined;
  /** Store entries (one transaction; an existing key keeps its first response). */
  put(entries: readonly CacheEntry[]): void;
  /** Number of stored responses. */
  size(): number;
  /** Close this process's connection (other processes keep theirs). */
  close(): void;
}

function fail(detail: RequestCacheErrorDetail): never {
  throw new RequestCacheError(detail);
}

/** Step 1a: refuse an existing non-empty file that lacks the SQLite header, without opening it in SQLite. */
function checkHeader(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail({ code: "cannot_open", path, cause: "it is a folder" });
    size = st.size;
  } catch (e) {
    if (e instanceof RequestCacheError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    fail({ code: "cannot_open", path, cause: (e as Error).message });
  }
  if (size === 0) return; // an empty file is an empty database to SQLite: nothing to lose
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 100 || !head.equals(SQLITE_HEADER)) {
    fail({ code: "not_sqlite", path, reason: size < 100 ? `only ${size} bytes, shorter than a SQLite header` : "it does not start with the SQLite header" });
  }
}


/** Map SQLite's open/read failures to user-facing errors; rethrow anything else. */
function translate(e: unknown, path: string): never {
  if (e instanceof RequestCacheError) throw e;
  const code = sqliteCode(e);
  if (code === "SQLITE_NOTADB") fail({ code: "not_sqlite", path, reason: `SQLite: ${(e as Error).message}` });
  if (code?.startsWith("SQLITE_CORRUPT")) fail({ code: "damaged", path, problems: (e as Error).message });
  if (code?.startsWith("SQLITE_CANTOPEN") || code?.startsWith("SQLITE_READONLY") || code?.startsWith("SQLITE_PERM")) {
    fail({ code: "cannot_open", path, cause: (e as Error).message });
  }
  throw e;
}


/**
 * Open (or create) the request cache at `path`, creating parent folders. Throws a
 * `RequestCacheError` for a file that is not SQLite, holds another schema or is damaged;
 * such a file is never written to.
 */
export function openRequestCache(path: string): RequestCache {
  const abs = resolve(path);
  try {
    mkdirSync(dirname(abs), { recursive: true });
  } catch (e) {
    fail({ code: "cannot_open", path: abs, cause: (e as Error).message });
  }
  checkHeader(abs);

  let db: Database.Database;
  try {
    db = new Database(abs, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (e) {
    translate(e, abs);
  }
  try {
    // Step 1b: read-only schema check before any pragma that writes the header.
    const before = inspectSchema(db, abs);
    if (before.state === "foreign") fail(before.error);
    // Step 1c: a damaged cache is refused before anything is written into it
    const problems = before.state === "ours" ? integrityProblems(db) : null;
    if (problems) fail({ code: "damaged", path: abs, problems });
    // Step 2. NOTE: journal_mode=WAL is persistent (it rewrites header bytes 18-19), so it comes only after the check.
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    enableWal(db);
    db.pragma("synchronous = NORMAL"); // WAL + NORMAL: a power loss may drop the last writes, never corrupts
    if (before.state === "empty") {
      db.transaction(() => db.exec(CREATE_SCHEMA)).immediate(); // IF NOT EXISTS: two processes may race here
      const after = inspectSchema(db, abs);
      if (after.state === "foreign") fail(after.error);
    }
    return createStore(db, abs);
  } catch (e) {
    db.close();
    translate(e, abs);
  }
}

function createStore(db: Database.Database, path: string): RequestCache {
  const select = db.prepare<[string], { response: string }>("SELECT response FROM requests WHERE key = ?");
  const insert = db.prepare<[string, string, string, string, string, string]>(
    "INSERT OR IGNORE INTO requests (key, kind, model_id, request, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const count = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM requests");
  const putAll = db.transaction((entries: readonly CacheEntry[]) => {
    const now = new Date().toISOString();
    for (const e of entries) insert.run(e.key, e.kind, e.modelId, canonicalJson(e.request), canonicalJson(e.response), now);
  });
  // every SQLite error names the file and what the cache was doing
  const guard = <T>(operation: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      const code = sqliteCode(e);
      if (code === undefined) throw e;
      fail({ code: "failed", path, operation, sqlite: code, cause: (e as Error).message });
    }
  };
  return {
    path,
    get: (key) =>
      guard("reading a cached response", () => {
        const row = select.get(key);
        return row === undefined ? undefined : { response: fromCacheJson(row.response) };
      }),
    put(entries) {
      if (entries.length > 0) guard("storing responses", () => putAll.immediate(entries));
    },
    size: () => guard("counting responses", () => count.get()?.n ?? 0),
    close: () => guard("closing it", () => db.close()),
  };
}
