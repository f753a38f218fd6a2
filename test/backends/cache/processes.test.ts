/**
 * Several processes share one cache file: each child (worker.ts, run through tsx)
 * opens the same fresh path at the same moment, writes shared and private keys and
 * reads while the others write. None may fail (no SQLITE_BUSY), and afterwards every
 * key must be readable with its right answer.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { openRequestCache, requestKey } from "../../../src/backends/cache/index.js";
import { fakeScore } from "./fake-model.js";
import { useTempDirs } from "./helpers.js";
import { privateRequest, SHARED_MODEL_ID, sharedRequest } from "./worker-requests.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const tempDir = useTempDirs();

interface Child {
  ready: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function startWorker(db: string, worker: number, count: number, goFile: string): Child {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "worker.ts"), db, String(worker), String(count), goFile], {
    cwd: repoRoot, // `--import tsx` resolves from here
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((res) => (onReady = res));
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes("ready")) onReady();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
    child.on("error", rej);
    child.on("close", (code) => {
      onReady(); // a child that died before "ready" must not hang the test
      res({ code, stdout, stderr });
    });
  });
  return { ready, done };
}

describe("request cache shared by processes", () => {
  it("three processes create, write and read one cache file concurrently without SQLITE_BUSY", async () => {
    const dir = tempDir();
    const db = join(dir, "shared", "cache.sqlite");
    const goFile = join(dir, "go");
    const WORKERS = 3;
    const COUNT = 150;
    const children = Array.from({ length: WORKERS }, (_, w) => startWorker(db, w, COUNT, goFile));
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(goFile, "go"); // released together: they race to create the schema too
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const reports = results.map((r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { stats: { hits: number; misses: number } });
    const perWorker = COUNT + COUNT; // shared + private items
    for (const rep of reports) expect(rep.stats.hits + rep.stats.misses).toBe(perWorker);

    const cache = openRequestCache(db);
    try {
      expect(cache.size()).toBe(COUNT + WORKERS * COUNT);
      const expectAnswer = (req: { prompt: string; continuation: string }): void => {
        expect(cache.get(requestKey(SHARED_MODEL_ID, "score", req))).toEqual({ response: fakeScore(req) });
      };
      for (let i = 0; i < COUNT; i++) expectAnswer(sharedRequest(i));
      for (let w = 0; w < WORKERS; w++) for (let i = 0; i < COUNT; i++) expectAnswer(privateRequest(w, i));
    } finally {
      cache.close();
    }
  }, 30_000);
});
