/**
 * `ftledger view` over a store it may not write: a store kept as a CI artefact, in a
 * read-only folder, in each journal state an audit can leave it (closed: rollback journal;
 * written by an older ftledger: WAL mode; still open or killed: WAL with -wal and -shm), and
 * a viewer that never writes a store it can write.
 *
 * NOTE: tests may run as root, whom file modes do not stop. Then the viewer runs as user
 * `nobody` (uid 65534) over root's files, which it really cannot write; otherwise the
 * folder and files are chmod'ed read-only.
 */
import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRunStore } from "../../src/audit/index.js";
import { viewApp } from "../../src/view/index.js";

const root = join(import.meta.dirname, "..", "..");
const asRoot = process.getuid?.() === 0;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-view-ro-"));
  chmodSync(dir, 0o755); // another user must reach the stores inside
});
afterAll(async () => {
  for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o755);
  await rm(dir, { recursive: true, force: true });
});

/** A store folder with one run of `n` records, closed by its audit. */
function storeWithRun(name: string, n = 12): string {
  const d = join(dir, name);
  const s = openRunStore(d);
  s.beginRun("run-1", { models: [{ role: "base", index: 0, spec: "builtin:zoo/base-s", id: "x", format: "raw" }], items: { count: n } }, []);
  for (let i = 0; i < n; i++) s.putRecord("run-1", "base", "task.accuracy", { itemId: `q${i}`, values: { accuracy: 1 }, detail: {} });
  s.close();
  return d;
}

/** Make the folder and its files read-only for the viewer (see the NOTE above). */
function readOnly(d: string): void {
  if (!asRoot) for (const f of readdirSync(d)) chmodSync(join(d, f), 0o444);
  chmodSync(d, asRoot ? 0o755 : 0o555);
}

/** What is in the folder, byte for byte, with modification times. */
function snapshot(d: string): Record<string, { sha: string; mtime: number }> {
  return Object.fromEntries(readdirSync(d).sort().map((f) => [f, { sha: readFileSync(join(d, f)).toString("base64"), mtime: statSync(join(d, f)).mtimeMs }]));
}

/** Run `ftledger view DIR --port 0` (as nobody when root); GET /api/runs and /, or the error it exits with. */
async function viewAsReader(d: string): Promise<{ runs?: { id: string }[]; page?: string; code?: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), "view", d, "--port", "0"], {
    cwd: root, ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  const url = await new Promise<string | null>((resolve) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then(() => resolve(null));
  });
  if (!url) return { code: await exited, stderr };
  try {
    const api = await fetch(`${url}api/runs`);
    expect(api.status, await api.clone().text()).toBe(200);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    return { runs: ((await api.json()) as { runs: { id: string }[] }).runs, page: await page.text(), stderr };
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

describe("ftledger view over a read-only store folder", () => {
  it("a store its audit closed (one file, rollback journal)", async () => {
    const d = storeWithRun("closed");
    readOnly(d);
    const before = snapshot(d);
    const r = await viewAsReader(d);
    expect(r.stderr).toBe("");
    expect(r.runs?.map((x) => x.id)).toEqual(["run-1"]);
    expect(r.page).toContain("/runs/run-1");
    expect(snapshot(d)).toEqual(before);
  }, 30_000);

  it("a WAL-mode store without its -wal (an older ftledger's, or another writer's): read from a copy in memory", async () => {
    const d = storeWithRun("wal");
    const db = new Database(join(d, "runs.sqlite"));
    db.pragma("journal_mode = WAL"); // persistent; the last close removes -wal and -shm
    db.close();
    expect(readFileSync(join(d, "runs.sqlite"))[18]).toBe(2);
    expect(readdirSync(d)).toEqual(["runs.sqlite"]);
    readOnly(d);
    const before = snapshot(d);
    const r = await viewAsReader(d);
    expect(r.stderr).toBe("");
    expect(r.runs?.map((x) => x.id)).toEqual(["run-1"]);
    expect(snapshot(d)).toEqual(before);
  }, 30_000);

  it("an audit still open (or killed): records in -wal are read through the -shm it left", async () => {
    const d = storeWithRun("open");
    const writer = new Database(join(d, "runs.sqlite"));
    try {
      writer.pragma("journal_mode = WAL");
      writer.pragma("wal_autocheckpoint = 0"); // the new run stays in -wal
      writer.prepare("INSERT INTO runs (id, created, updated, status, manifest) VALUES ('run-2', '2030-01-01', '2030-01-01', 'running', '{}')").run();
      expect(statSync(join(d, "runs.sqlite-wal")).size).toBeGreaterThan(0);
      readOnly(d);
      const r = await viewAsReader(d);
      expect(r.stderr).toBe("");
      expect(r.runs?.map((x) => x.id).sort()).toEqual(["run-1", "run-2"]);
    } finally {
      writer.close();
    }
  }, 30_000);

  it("records in a -wal SQLite cannot read there: exit 2 naming the file and what to do", async () => {
    const src = storeWithRun("src");
    const d = join(dir, "wal-only");
    mkdirSync(d);
    const writer = new Database(join(src, "runs.sqlite"));
    try {
      writer.pragma("journal_mode = WAL");
      writer.pragma("wal_autocheckpoint = 0");
      writer.prepare("INSERT INTO runs (id, created, updated, status, manifest) VALUES ('run-2', '2030-01-01', '2030-01-01', 'running', '{}')").run();
      copyFileSync(join(src, "runs.sqlite"), join(d, "runs.sqlite"));
      copyFileSync(join(src, "runs.sqlite-wal"), join(d, "runs.sqlite-wal")); // an artefact kept without its -shm
    } finally {
      writer.close();
    }
    readOnly(d);
    const r = await viewAsReader(d);
    expect(r.code).toBe(2);
    const path = join(d, "runs.sqlite");
    expect(r.stderr).toContain(`ftledger view: ${path}: its folder is read-only, and ${path}-wal holds records not yet in the file`);
    expect(r.stderr).toContain("copy the store folder (all its files) somewhere writable and view the copy");
  }, 30_000);
});

describe("the viewer never writes a store it could write", () => {
  it("serving every page leaves the folder's files, bytes and modification times as they were", async () => {
    const d = storeWithRun("writable");
    const before = snapshot(d);
    const app = viewApp(d);
    for (const path of ["/", "/api/runs", "/api/runs/run-1", "/runs/run-1", "/runs/run-1/trajectory", "/compare?a=run-1&b=run-1"]) {
      expect((await app.request(path)).status, path).toBeLessThan(500);
    }
    expect(snapshot(d)).toEqual(before);
  });
});
