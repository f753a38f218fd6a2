/** Atomic writes: the target is the old file or the new one, never half of one, and no temporary file stays behind. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeBytesAtomic, writeTextAtomic } from "../../src/formats/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-io-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeTextAtomic", () => {
  it("creates folders when asked, replaces the file, and leaves no temporary file", async () => {
    const path = join(dir, "out", "deep", "r.html");
    await writeTextAtomic(path, "one", { mkdir: true });
    await writeTextAtomic(path, "two");
    expect(await readFile(path, "utf8")).toBe("two");
    expect(await readdir(join(dir, "out", "deep"))).toEqual(["r.html"]);
  });

  it("without mkdir, a missing folder is an error and nothing is written", async () => {
    await expect(writeTextAtomic(join(dir, "missing", "x.json"), "{}")).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).not.toContain("missing");
  });

  it("concurrent writes to one path each land whole", async () => {
    const path = join(dir, "race.txt");
    const texts = Array.from({ length: 8 }, (_, i) => String(i).repeat(10_000));
    await Promise.all(texts.map((t) => writeTextAtomic(path, t)));
    expect(texts).toContain(await readFile(path, "utf8"));
    expect((await readdir(dir)).filter((n) => n.includes("race"))).toEqual(["race.txt"]);
  });
});

describe("writeBytesAtomic", () => {
  it("a failing writer leaves the old file untouched and no temporary file", async () => {
    const sub = join(dir, "bytes");
    await mkdir(sub);
    const path = join(sub, "w.bin");
    await writeFile(path, "old");
    await expect(writeBytesAtomic(path, async (fh) => {
      await fh.write("half");
      throw new Error("disk full");
    })).rejects.toThrow("disk full");
    expect(await readFile(path, "utf8")).toBe("old");
    expect(await readdir(sub)).toEqual(["w.bin"]);
  });
});
