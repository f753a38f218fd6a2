/**
 * The run store: one SQLite file (`<store>/runs.sqlite`) holding every audit's manifest,
 * its items and every per-item probe record, written as each record completes. An
 * audit with the same manifest (models' content ids, formats, probes and versions,
 * items, seeds) is the same run: re-running it resumes, skipping stored records.
 *
 * WAL journal and one INSERT per record (SQLite commits each atomically), so a process
 * killed at any moment leaves whole records or none; a file that is not our store is
 * refused and left untouched. Opening runs SQLite's integrity check, so a damaged file is
 * an error before anything is written into it; every SQLite error names the file
 * (store-errors.ts). Readers (`ftledger view`) open it read-only (store-sqlite.ts).
 */
import { mkdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Item, ItemRecord } from "../probes/index.js";
import { StoreError, type StoreAccess } from "./store-errors.js";
import { enableWal, integrityProblems, SQLITE_BUSY_TIMEOUT_MS } from "../backends/index.js";
import { openFailure, openReadOnly, operationFailure, type Sqlite } from "./store-sqlite.js";

export { StoreError, formatStoreError, type StoreErrorDetail, type StoreErrorCode, type StoreAccess } from "./store-errors.js";

const SCHEMA = "ftledger.runs/1";
const STORE_FILE = "runs.sqlite";

const CREATE = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, updated TEXT NOT NULL,
  status TEXT NOT NULL, manifest TEXT NOT NULL, result TEXT
);
CREATE TABLE IF NOT EXISTS items (
  run_id TEXT NOT NULL, item_id TEXT NOT NULL, seq INTEGER NOT NULL, item TEXT NOT NULL,
  PRIMARY KEY (run_id, item_id)
);
CREATE TABLE IF NOT EXISTS records (
  run_id TEXT NOT NULL, arm TEXT NOT NULL, probe TEXT NOT NULL, item_id TEXT NOT NULL, record TEXT NOT NULL,
  PRIMARY KEY (run_id, arm, probe, item_id)
);`;

export type RunStatus = "running" | "complete";

export interface RunSummary {
  id: string;
  created: string;
  updated: string;
  status: RunStatus;
  manifest: unknown;
}

export interface RunStore {
  readonly path: string;
  /** Create the run if new (status running); an existing run keeps its records. Returns whether it existed. */
  beginRun(id: string, manifest: unknown, items: readonly Item[]): { existed: boolean };
  /** Item ids of the records already stored for (run, arm, probe). */
  doneItems(runId: string, arm: string, probe: string): Set<string>;
  putRecord(runId: string, arm: string, probe: string, record: ItemRecord): void;
  records(runId: string, arm: string, probe: string): ItemRecord[];
  items(runId: string): Item[];
  /** Mark complete and keep the computed result (the ledger JSON) for viewers. */
  finishRun(runId: string, result: unknown): void;
  run(id: string): (RunSummary & { result: unknown }) | undefined;
  runs(): RunSummary[];
  /** Records stored for a run (all arms and probes). */
  countRecords(runId: string): number;
  close(): void;
}

/** What each method was doing, for the error that names the file. */
const OPERATIONS: Record<Exclude<keyof RunStore, "path">, string> = {
  beginRun: "storing a new run", doneItems: "reading which records are stored", putRecord: "writing a record",
  records: "reading records", items: "reading a run's items", finishRun: "storing a run's result", run: "reading a run",
  runs: "listing the runs", countRecords: "counting a run's records", close: "closing it",
};

export interface OpenRunStoreOptions {
  /**
   * A reader's open (`ftledger view`): the file must exist, and is never created, written or
   * switched to another journal mode, so a store in a read-only folder can be read.
   */
  readonly?: boolean;
  /** Run SQLite's integrity check when opening (default true; a reader that checked once may skip it). */
  check?: boolean;
}

function now(): string {
  return new Date().toISOString();
}

/** Refuse a SQLite file that is not our store (read-only: nothing has been written yet). */
function checkSchema(db: Sqlite, path: string, access: StoreAccess): { empty: boolean } {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  if (tables.length === 0) {
    if (access === "read") throw new StoreError({ code: "not_a_store", path, found: "it has no tables" }, access);
    return { empty: true };
  }
  const meta = tables.some((t) => t.name === "meta") ? (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined) : undefined;
  if (meta?.value !== SCHEMA) throw new StoreError({ code: "not_a_store", path, found: `schema ${meta?.value ?? "missing"}, expected ${SCHEMA}` }, access);
  return { empty: false };
}

/**
 * Open (or create) the store folder's runs.sqlite; with `readonly`, open an existing one
 * without writing it (`dir` may then name the runs.sqlite file itself). Throws a
 * `StoreError` naming the file for a file that is not our store or is damaged, and every
 * method throws one for a SQLite error.
 */
export function openRunStore(dir: string, o: OpenRunStoreOptions = {}): RunStore {
  const access: StoreAccess = o.readonly ? "read" : "write";
  let root = resolve(dir);
  if (access === "write") {
    try {
      mkdirSync(root, { recursive: true });
    } catch (e) {
      throw new StoreError({ code: "cannot_create", path: root, cause: (e as Error).message }, access);
    }
  } else {
    // a reader may name the file itself; a missing path is an error, never a new store
    const st = statSync(root, { throwIfNoEntry: false });
    if (st?.isFile() && basename(root) === STORE_FILE) root = dirname(root);
    else if (!st?.isDirectory()) throw new StoreError({ code: "no_folder", path: root, found: st ? "a file" : "nothing" }, access);
  }
  const path = join(root, STORE_FILE);
  let db: Sqlite | undefined;
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw new Error("it is a folder");
    if (!st && access === "read") throw new StoreError({ code: "missing", path }, access);
    db = access === "read" ? openReadOnly(path) : new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    const { empty } = checkSchema(db, path, access);
    // before any write: records must never go into a damaged file (and a damaged file is left as it was)
    const problems = empty || o.check === false ? null : integrityProblems(db);
    if (problems) throw new StoreError({ code: "damaged", path, problems }, access);
    if (access === "write") {
      enableWal(db);
      db.exec(CREATE);
      db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA);
    }
    return guarded(storeOver(db, path, access), path, access);
  } catch (e) {
    if (db?.open) db.close(); // NOTE: "file is not a database" throws on the first query, with the file still open
    throw openFailure(e, path, access);
  }
}

/** Every method's SQLite error as a StoreError naming the file and what the store was doing. */
function guarded(store: RunStore, path: string, access: StoreAccess): RunStore {
  const out: Record<string, unknown> = { path: store.path };
  for (const [name, operation] of Object.entries(OPERATIONS)) {
    const method = store[name as keyof typeof OPERATIONS] as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      try {
        return method(...args);
      } catch (e) {
        throw operationFailure(e, path, access, operation);
      }
    };
  }
  return out as unknown as RunStore;
}

function storeOver(db: Sqlite, path: string, access: StoreAccess): RunStore {
  const insertRecord = db.prepare("INSERT OR IGNORE INTO records (run_id, arm, probe, item_id, record) VALUES (?, ?, ?, ?, ?)");
  const selectDone = db.prepare("SELECT item_id FROM records WHERE run_id = ? AND arm = ? AND probe = ?");
  const selectRecords = db.prepare("SELECT record FROM records WHERE run_id = ? AND arm = ? AND probe = ? ORDER BY item_id");
  const parseRun = (r: { id: string; created: string; updated: string; status: RunStatus; manifest: string }): RunSummary => ({
    id: r.id, created: r.created, updated: r.updated, status: r.status, manifest: JSON.parse(r.manifest),
  });

  return {
    path,
    beginRun(id, manifest, items) {
      const existed = db.prepare("SELECT 1 FROM runs WHERE id = ?").get(id) !== undefined;
      if (existed) {
        db.prepare("UPDATE runs SET updated = ?, status = 'running' WHERE id = ?").run(now(), id);
        return { existed };
      }
      const insertItem = db.prepare("INSERT OR IGNORE INTO items (run_id, item_id, seq, item) VALUES (?, ?, ?, ?)");
      db.transaction(() => {
        const t = now();
        db.prepare("INSERT INTO runs (id, created, updated, status, manifest) VALUES (?, ?, ?, 'running', ?)").run(id, t, t, JSON.stringify(manifest));
        items.forEach((it, i) => insertItem.run(id, it.id, i, JSON.stringify(it)));
      })();
      return { existed };
    },
    doneItems(runId, arm, probe) {
      return new Set((selectDone.all(runId, arm, probe) as { item_id: string }[]).map((r) => r.item_id));
    },
    putRecord(runId, arm, probe, record) {
      insertRecord.run(runId, arm, probe, record.itemId, JSON.stringify(record));
    },
    records(runId, arm, probe) {
      return (selectRecords.all(runId, arm, probe) as { record: string }[]).map((r) => JSON.parse(r.record) as ItemRecord);
    },
    items(runId) {
      return (db.prepare("SELECT item FROM items WHERE run_id = ? ORDER BY seq").all(runId) as { item: string }[]).map((r) => JSON.parse(r.item) as Item);
    },
    finishRun(runId, result) {
      db.prepare("UPDATE runs SET status = 'complete', updated = ?, result = ? WHERE id = ?").run(now(), JSON.stringify(result), runId);
    },
    run(id) {
      const r = db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as
        | { id: string; created: string; updated: string; status: RunStatus; manifest: string; result: string | null }
        | undefined;
      return r && { ...parseRun(r), result: r.result === null ? undefined : JSON.parse(r.result) };
    },
    runs() {
      return (db.prepare("SELECT id, created, updated, status, manifest FROM runs ORDER BY created DESC").all() as Parameters<typeof parseRun>[0][]).map(parseRun);
    },
    countRecords(runId) {
      return (db.prepare("SELECT COUNT(*) AS n FROM records WHERE run_id = ?").get(runId) as { n: number }).n;
    },
    close() {
      if (access === "write") {
        // The last connection to close turns the store back into one self-contained file (a
        // rollback journal), which a reader can open even in a read-only folder (store-sqlite.ts).
        // Another connection still open makes this fail at once (no busy wait): it does it later.
        try {
          db.pragma("busy_timeout = 0");
          db.pragma("journal_mode = DELETE");
        } catch {
          // NOTE: SQLITE_BUSY here is the expected case of a store shared by several processes
        }
      }
      db.close();
    },
  };
}
