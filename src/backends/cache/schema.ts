/**
 * The request cache's SQLite schema and the check that a file holds it.
 *
 * `cache_schema` is one row naming the application and the schema version, so a
 * later ftledger can tell its own cache from any other database and refuse a version
 * it cannot read. `requests` holds one row per deterministic request.
 */
import type { Database } from "better-sqlite3";
import type { RequestCacheErrorDetail } from "./errors.js";

export const CACHE_APP = "ftledger-request-cache";
export const SCHEMA_VERSION = 1;

const REQUEST_COLUMNS = ["key", "kind", "model_id", "request", "response", "created_at"];

export const CREATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS cache_schema (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  app TEXT NOT NULL,
  version INTEGER NOT NULL
);
INSERT OR IGNORE INTO cache_schema (id, app, version) VALUES (1, '${CACHE_APP}', ${SCHEMA_VERSION});
CREATE TABLE IF NOT EXISTS requests (
  key TEXT PRIMARY KEY,          -- sha256 hex of canonical JSON of { modelId, kind, request }
  kind TEXT NOT NULL,            -- generate | score | nextTokenLogprobs | scoreTokens
  model_id TEXT NOT NULL,
  request TEXT NOT NULL,         -- canonical JSON
  response TEXT NOT NULL,        -- JSON (non-finite numbers tagged, see canonical.ts)
  created_at TEXT NOT NULL       -- ISO 8601
);
`;

/** What the file holds: nothing yet, our schema, or something we must not touch. */
export type SchemaState = { state: "empty" } | { state: "ours" } | { state: "foreign"; error: RequestCacheErrorDetail };

/** Read-only inspection: only SELECTs and table_info, so a foreign file is left as it was. */
export function inspectSchema(db: Database, path: string): SchemaState {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[])
    .map((r) => r.name);
  if (tables.length === 0) return { state: "empty" };
  const foreign = (found: string): SchemaState => ({ state: "foreign", error: { code: "wrong_schema", path, found } });
  if (!tables.includes("cache_schema")) return foreign(`its tables: ${tables.slice(0, 8).join(", ")}${tables.length > 8 ? ", …" : ""}`);
  const row = db.prepare("SELECT app, version FROM cache_schema WHERE id = 1").get() as { app: unknown; version: unknown } | undefined;
  if (!row || row.app !== CACHE_APP) return foreign(`cache_schema names ${JSON.stringify(row?.app ?? null)}, not "${CACHE_APP}"`);
  if (row.version !== SCHEMA_VERSION) {
    return { state: "foreign", error: { code: "unsupported_version", path, version: Number(row.version), supported: SCHEMA_VERSION } };
  }
  if (!tables.includes("requests")) return foreign("it has no requests table");
  const columns = (db.prepare("SELECT name FROM pragma_table_info('requests')").all() as { name: string }[]).map((r) => r.name);
  const missing = REQUEST_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) return foreign(`its requests table lacks column(s) ${missing.join(", ")}`);
  return { state: "ours" };
}
