/**
 * Strict text input at the command line: a user's file that is not UTF-8 text, missing,
 * empty or a folder stops the command with exit code 2 and one message that names the
 * file (and the line and byte) and says what to do — never a run on altered text, and
 * never `--on-bad-line skip` advice that cannot help.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ftledger } from "./run-cli.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-strict-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const item = (id: string, answer = "4") => JSON.stringify({ id, prompt: "Q: 2+2?\nA: ", answer });
/** The items are read before any model is opened, so these audits stop within a second. */
const audit = (...args: string[]) => ftledger("audit", "--base", "builtin:zoo/base-s", "--tuned", "builtin:zoo/base-s", "--probes", "task.accuracy", "--store", join(dir, "store"), "--quiet", ...args);

describe("ftledger audit --data", () => {
  it("exits 2 on an invalid UTF-8 byte, naming file:line:byte and the offset, with or without --on-bad-line skip", async () => {
    const path = join(dir, "latin1.jsonl");
    const line2 = Buffer.concat([Buffer.from('{"id": "b", "prompt": "p", "answer": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    await writeFile(path, Buffer.concat([Buffer.from(item("a") + "\n"), line2]));
    const column = line2.indexOf(0xff) + 1;
    for (const extra of [[], ["--on-bad-line", "skip"]]) {
      const r = audit("--data", path, ...extra);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--data ${path}:2:${column}: byte 0xFF (offset ${item("a").length + column} in the file) is not valid UTF-8`);
      expect(r.stderr).toContain("iconv -f WINDOWS-1252 -t UTF-8");
      expect(r.stderr).not.toContain("--on-bad-line");
    }
  });

  it("exits 2 on a UTF-16 file, naming the encoding and how to convert it", async () => {
    const path = join(dir, "utf16.jsonl");
    await writeFile(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(item("a") + "\n", "utf16le")]));
    const r = audit("--data", path);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--data ${path}: this file is UTF-16`);
    expect(r.stderr).toContain(`iconv -f UTF-16 -t UTF-8 ${path} > ${join(dir, "utf16.utf8.jsonl")}`);
  });

  it("a missing file, an empty file and a folder each get their own message and exit 2, without --on-bad-line advice", async () => {
    const empty = join(dir, "empty.jsonl");
    await writeFile(empty, "");
    const folder = join(dir, "items");
    await mkdir(folder);
    const cases: [string, string][] = [
      [join(dir, "none.jsonl"), `ftledger audit: --data ${join(dir, "none.jsonl")}: no such file; check the path`],
      [empty, `ftledger audit: --data ${empty} is empty: it must hold one JSON item per line`],
      [folder, `ftledger audit: --data ${folder} is a folder; pass a .jsonl file.`],
    ];
    for (const [path, message] of cases) {
      const r = audit("--data", path);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/bad line|--on-bad-line/);
    }
  });

  it("a lone surrogate and a variant_of loop are bad lines naming the field and the ids", async () => {
    const path = join(dir, "loop.jsonl");
    await writeFile(path, [
      '{"id": "s", "prompt": "p", "answer": "\\ud800"}',
      JSON.stringify({ id: "a", prompt: "p", answer: "x", variant_of: "b" }),
      JSON.stringify({ id: "b", prompt: "p", answer: "x", variant_of: "a" }),
    ].join("\n"));
    const r = audit("--data", path);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${path}:1: field "answer" holds a lone surrogate`);
    expect(r.stderr).toContain(`${path}:2: variant_of makes a loop ("a" → "b" → "a")`);
  });
});

describe("other files read as text", () => {
  it("--world: an invalid byte names the file, line and byte", async () => {
    const path = join(dir, "world.json");
    await writeFile(path, Buffer.concat([Buffer.from('{\n  "seed": 1,\n  "x": "'), Buffer.from([0xe9]), Buffer.from('"\n}\n')]));
    const r = audit("--world", path, "--suite", "arithmetic", "--n", "1");
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--world ${path}:3:9: byte 0xE9`);
  });

  it("lab train --config: a UTF-16 file is named as UTF-16", async () => {
    const path = join(dir, "recipe.json");
    await writeFile(path, Buffer.from('{"steps": 1}\n', "utf16le"));
    const r = ftledger("lab", "train", "toy", "--out", join(dir, "run"), "--config", path);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--config ${path}: this file is UTF-16 (UTF-16LE, by its NUL bytes)`);
  });

  it("a builtin: model folder's JSON files: an invalid byte in config.json, a UTF-16 tokenizer_config.json", async () => {
    const zoo = join(import.meta.dirname, "..", "..", "zoo", "base-s");
    const copy = async (name: string) => {
      const to = join(dir, name);
      await mkdir(to);
      for (const f of ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) await copyFile(join(zoo, f), join(to, f));
      return to;
    };
    const config = await readFile(join(zoo, "config.json"));
    const at = config.indexOf('"llama"') + 3;
    const line = config.subarray(0, at).toString().split("\n").length;
    const column = at - config.lastIndexOf(10, at - 1);
    const badConfig = await copy("bad-config");
    await writeFile(join(badConfig, "config.json"), Buffer.concat([config.subarray(0, at), Buffer.from([0xe9]), config.subarray(at)]));
    const r = audit("--base", `builtin:${badConfig}`, "--suite", "arithmetic", "--n", "1");
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(badConfig, "config.json")}:${line}:${column}: byte 0xE9`);
    const utf16 = await copy("utf16-tokenizer-config");
    const tc = await readFile(join(zoo, "tokenizer_config.json"), "utf8");
    await writeFile(join(utf16, "tokenizer_config.json"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tc, "utf16le")]));
    const t = audit("--base", `builtin:${utf16}`, "--suite", "arithmetic", "--n", "1");
    expect(t.code, t.stderr).toBe(2);
    expect(t.stderr).toContain(`${join(utf16, "tokenizer_config.json")}: this file is UTF-16`);
  });

  it("lab summary: an invalid byte in metrics.jsonl names its line and byte (not a line quietly left out)", async () => {
    const run = join(dir, "run-summary");
    await mkdir(run);
    const good = JSON.stringify({ step: 1, loss: 2, ms: 100 }) + "\n";
    const before = '{"step": 2, "loss": 1, "ms": 100, "note": "';
    await writeFile(join(run, "metrics.jsonl"), Buffer.concat([Buffer.from(good + before), Buffer.from([0xff]), Buffer.from('"}\n')]));
    const r = ftledger("lab", "summary", run);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${join(run, "metrics.jsonl")}:2:${before.length + 1}: byte 0xFF`);
  });

  it("merge: an invalid byte in the YAML names its line and byte", async () => {
    const path = join(dir, "merge.yaml");
    await writeFile(path, Buffer.concat([Buffer.from("merge_method: linear\nmodels:\n  - model: caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    const r = ftledger("merge", path, "--out", join(dir, "merged"));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${path}: line 3, byte 15: byte 0xE9`);
  });
});
