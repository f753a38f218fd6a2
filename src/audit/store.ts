/**
 * The run store: one SQLite file (`<store>/runs.sqlite`) holding every audit's manifest,
 * its items and every per-item probe record, written as each record completes. An
 * audit with the same manifest (models' content ids, formats, probes and versions,
 * items, seeds) is the same run: re-running it resumes, skipping stored records.
 *
 * WAL journal and one INSERT per record (SQLite commits each atomically), so a process
 * killed at any moment leaves whole records or none; a file that is not our store is
 * refused and left untouched.
 */
import { mkdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import type { Item, ItemRecord } from "../probes/index.js";

const SCHEMA = "ftledger.runs/1";
const BUSY_TIMEOUT_MS = 10_000;

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

export class StoreError extends Error {}

function now(): string {
  return new Date().toISOString();
}

/** Open (or create) the store folder's runs.sqlite. */
export function openRunStore(dir: string): RunStore {
  const root = resolve(dir);
  try {
    mkdirSync(root, { recursive: true });
  } catch (e) {
    throw new StoreError(`${root}: cannot create the store folder (${(e as Error).message}); give --store a writable folder.`);
  }
  const path = join(root, "runs.sqlite");
  let db: Database.Database | undefined;
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error("it is a folder");
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    if (tables.length > 0) {
      const meta = tables.some((t) => t.name === "meta") ? (db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined) : undefined;
      if (meta?.value !== SCHEMA) {
        db.close();
        throw new Error(`it is a SQLite file but not an ftledger run store (schema ${meta?.value ?? "missing"}, expected ${SCHEMA})`);
      }
    }
    db.pragma("journal_mode = WAL");
    db.exec(CREATE);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA);
  } catch (e) {
    if (db?.open) db.close(); // NOTE: "file is not a database" throws on the first query, with the file still open
    throw new StoreError(`${path}: cannot open the run store (${(e as Error).message}); give --store another folder, or move this file away.`);
  }

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
      db.close();
    },
  };
}
