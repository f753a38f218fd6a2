/**
 * parseDataset (src/audit/dataset.ts): the JSONL schema of docs/PROBES.md "Your own
 * items". Every bad line is reported with its 1-based line number; "fail" returns no
 * items at all, "skip" returns the good ones and lists what it dropped.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDataset, readDataset, type BadLine, type DatasetResult } from "../../src/audit/index.js";
import type { TextError } from "../../src/formats/index.js";
import { clusterOf, type Item } from "../../src/probes/index.js";

const jsonl = (...lines: unknown[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n");

function items(r: DatasetResult): Item[] {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.items;
}

function errors(r: DatasetResult): BadLine[] {
  if (r.ok) throw new Error(`expected errors, got ${r.items.length} items`);
  if (r.kind === "file") throw new Error(`expected bad lines, got a file error ${JSON.stringify(r.error)}`);
  return r.errors;
}

function fileError(r: DatasetResult): TextError {
  if (r.ok || r.kind !== "file") throw new Error(`expected a file error, got ${JSON.stringify(r)}`);
  return r.error;
}

/** The one error of a file whose line 1 is good and line 2 is `bad`. */
function secondLineError(bad: unknown): BadLine {
  const es = errors(parseDataset(jsonl({ id: "ok", prompt: "p", answer: "a" }, bad), "d.jsonl"));
  expect(es).toHaveLength(1);
  expect(es[0].line).toBe(2);
  expect(es[0].message.startsWith("d.jsonl:2: ")).toBe(true);
  return es[0];
}

describe("parseDataset: good lines", () => {
  it("reads every field, turns a number answer into a string and defaults the domain", () => {
    const r = parseDataset(jsonl(
      { id: "q1", prompt: "What is 2+3?", answer: 5, steps: ["2 + 3 = 5"], verifier: "number", domain: "math" },
      { id: "q2", prompt: "Pick one", answer: "b", options: ["a", "b", "c"], verifier: "choice", role: "question", meta: { source: "x", n: 3 } },
      { id: "q3", prompt: "Like q1", answer: "6", variant_of: "q1" },
    ), "d.jsonl");
    expect(r).toEqual({
      ok: true,
      skipped: [],
      items: [
        { id: "q1", prompt: "What is 2+3?", answer: "5", steps: ["2 + 3 = 5"], verifier: "number", domain: "math" },
        { id: "q2", prompt: "Pick one", answer: "b", options: ["a", "b", "c"], verifier: "choice", domain: "default" },
        { id: "q3", prompt: "Like q1", answer: "6", variantOf: "q1", domain: "default" },
      ],
    });
  });

  it("ignores blank lines (and keeps counting them) and accepts CRLF line ends", () => {
    const r = parseDataset(`\n${jsonl({ id: "a", prompt: "p", answer: "x" })}\r\n   \r\n\n${jsonl({ id: "b", prompt: "q", answer: "y" })}\n`, "d.jsonl");
    expect(items(r).map((it) => it.id)).toEqual(["a", "b"]);
    // line numbers still count the blank lines: a bad line after them says line 4
    const bad = parseDataset(`\n${jsonl({ id: "a", prompt: "p", answer: "x" })}\n\n{oops`, "d.jsonl");
    expect(errors(bad).map((e) => e.line)).toEqual([4]);
  });

  it("accepts a reference item with an empty prompt", () => {
    const r = parseDataset(jsonl({ id: "doc1", prompt: "", answer: "A neutral paragraph.", role: "reference", domain: "prose" }), "d.jsonl");
    expect(items(r)).toEqual([{ id: "doc1", prompt: "", answer: "A neutral paragraph.", domain: "prose", role: "reference" }]);
  });

  it("accepts free-form meta and does not copy it into the item", () => {
    const r = parseDataset(jsonl({ id: "a", prompt: "p", answer: "x", meta: { lost_on: ["task.accuracy.accuracy"], tuned: 1, base: null } }), "d.jsonl");
    expect(items(r)).toEqual([{ id: "a", prompt: "p", answer: "x", domain: "default" }]);
  });

  it("accepts a file saved with a byte-order mark", () => {
    const r = parseDataset(`\uFEFF${jsonl({ id: "a", prompt: "p", answer: "x" })}`, "d.jsonl");
    expect(items(r).map((it) => it.id)).toEqual(["a"]);
  });
});

describe("parseDataset: clusters", () => {
  it("reads an explicit cluster; by default a variant is in its parent's cluster and any other item in its own", () => {
    const r = items(parseDataset(jsonl(
      { id: "q1", prompt: "p", answer: "x" },
      { id: "q1-v", prompt: "p", answer: "y", variant_of: "q1" },
      { id: "cap-1", prompt: "Capital of France?", answer: "Paris", cluster: "fact:france-capital" },
      { id: "cap-2", prompt: "France's capital is?", answer: "Paris", cluster: "fact:france-capital" },
    ), "d.jsonl"));
    expect(r.map(clusterOf)).toEqual(["q1", "q1", "fact:france-capital", "fact:france-capital"]);
    // a file that names no cluster reads back to exactly the items it did before clusters existed
    expect(r[0]).toEqual({ id: "q1", prompt: "p", answer: "x", domain: "default" });
    expect(r[1]).toEqual({ id: "q1-v", prompt: "p", answer: "y", variantOf: "q1", domain: "default" });
    expect(r[2].cluster).toBe("fact:france-capital");
  });

  it("a variant without a cluster of its own joins its parent's named cluster, through variants of variants", () => {
    const r = items(parseDataset(jsonl(
      { id: "a", prompt: "p", answer: "x", cluster: "doc-7" },
      { id: "a-v", prompt: "p", answer: "x", variant_of: "a" },
      { id: "a-v-v", prompt: "p", answer: "x", variant_of: "a-v" },
      { id: "b-v", prompt: "p", answer: "x", variant_of: "a", cluster: "own" },
    ), "d.jsonl"));
    expect(r.map(clusterOf)).toEqual(["doc-7", "doc-7", "doc-7", "own"]);
  });

  it("an empty or non-string cluster is a bad line", () => {
    expect(secondLineError({ id: "b", prompt: "p", answer: "x", cluster: "" }).message).toBe("d.jsonl:2: cluster must be a non-empty string");
    expect(secondLineError({ id: "b", prompt: "p", answer: "x", cluster: 3 }).message).toMatch(/^d\.jsonl:2: cluster /);
  });
});

describe("parseDataset: each kind of bad line, with its line number", () => {
  it("bad JSON", () => {
    expect(secondLineError("{not json").message).toMatch(/^d\.jsonl:2: not valid JSON \(/);
  });

  it("a missing prompt", () => {
    expect(secondLineError({ id: "b", answer: "x" }).message).toBe("d.jsonl:2: prompt Invalid input: expected string, received undefined");
  });

  it("an unknown field (a typo such as promt)", () => {
    const e = secondLineError({ id: "b", promt: "p", prompt: "p", answer: "x" });
    expect(e.message).toBe("d.jsonl:2: unknown field(s) promt");
  });

  it("options that do not include the answer", () => {
    expect(secondLineError({ id: "b", prompt: "p", answer: "x", options: ["y", "z"] }).message).toBe('d.jsonl:2: options must include the answer "x"');
  });

  it("a duplicate id names the line that used it first", () => {
    expect(secondLineError({ id: "ok", prompt: "p2", answer: "x" }).message).toBe('d.jsonl:2: id "ok" already used on line 1');
  });

  it("variant_of naming an id that is not in the file", () => {
    expect(secondLineError({ id: "v", prompt: "p", answer: "x", variant_of: "nope" }).message).toBe('d.jsonl:2: variant_of "nope" names no valid item of this file');
  });

  it("a question with an empty (or blank) prompt", () => {
    expect(secondLineError({ id: "b", prompt: "  ", answer: "x" }).message).toBe("d.jsonl:2: prompt is empty (only reference items may have an empty prompt)");
  });

  it("an unknown verifier, a number id, a line that is not an object", () => {
    expect(secondLineError({ id: "b", prompt: "p", answer: "x", verifier: "regex" }).message).toMatch(/^d\.jsonl:2: verifier /);
    expect(secondLineError({ id: 7, prompt: "p", answer: "x" }).message).toMatch(/^d\.jsonl:2: id /);
    expect(secondLineError([1, 2]).message).toMatch(/^d\.jsonl:2: \(line\) /);
  });

  it("a variant of a dropped line is dropped too, and so is a variant of that variant", () => {
    const text = jsonl(
      { id: "a", prompt: "p", answer: "x" },
      { id: "b", prompt: "", answer: "x" }, // dropped: empty question prompt
      { id: "v1", prompt: "p", answer: "x", variant_of: "b" },
      { id: "v2", prompt: "p", answer: "x", variant_of: "v1" },
      { id: "v3", prompt: "p", answer: "x", variant_of: "a" },
    );
    const r = parseDataset(text, "d.jsonl", "skip");
    if (!r.ok) throw new Error("expected ok");
    expect(r.items.map((it) => it.id)).toEqual(["a", "v3"]);
    expect(r.skipped.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(r.skipped[1].message).toBe('d.jsonl:3: variant_of "b" names no valid item of this file');
    expect(r.skipped[2].message).toBe('d.jsonl:4: variant_of "v1" names no valid item of this file');
  });
});

describe("parseDataset: onBadLine", () => {
  const text = jsonl(
    { id: "a", prompt: "p", answer: "x" },
    "{oops",
    { id: "b", prompt: "q", answer: "y" },
    { id: "c", promt: "p", answer: "x" },
    { id: "a", prompt: "again", answer: "x" },
  );

  it('"fail" (the default) returns every error, sorted by line, and no items', () => {
    const r = parseDataset(text, "d.jsonl");
    expect(r.ok).toBe(false);
    expect("items" in r).toBe(false);
    expect(errors(r).map((e) => e.line)).toEqual([2, 4, 5]);
    expect(errors(r)[1].message).toBe("d.jsonl:4: prompt Invalid input: expected string, received undefined; unknown field(s) promt");
    expect(parseDataset(text, "d.jsonl", "fail")).toEqual(r);
  });

  it('"skip" returns the good items in file order and the skipped lines', () => {
    const r = parseDataset(text, "d.jsonl", "skip");
    if (!r.ok) throw new Error("expected ok");
    expect(r.items.map((it) => it.id)).toEqual(["a", "b"]);
    expect(r.items[0].prompt).toBe("p"); // the first "a" is kept, the duplicate dropped
    expect(r.skipped.map((e) => e.line)).toEqual([2, 4, 5]);
  });

  it('a file with no valid item is an error even with "skip"', () => {
    expect(errors(parseDataset("{oops\n", "d.jsonl", "skip"))).toEqual([
      { line: 1, message: expect.stringMatching(/^d\.jsonl:1: not valid JSON/) },
      { line: 0, message: "d.jsonl: no valid items" },
    ]);
  });

  it("a file of blank lines is empty: a file error, not a bad line that --on-bad-line skip could drop", () => {
    expect(fileError(parseDataset("\n \n", "d.jsonl", "skip"))).toEqual({ code: "empty_file", file: "d.jsonl" });
  });
});

describe("parseDataset: lines that would measure something other than the file says", () => {
  it("a lone surrogate (a \\ud800 escape without its pair) is a bad line naming the field", () => {
    const e = secondLineError('{"id": "b", "prompt": "p", "answer": "\\ud800"}');
    expect(e.message).toMatch(/^d\.jsonl:2: field "answer" holds a lone surrogate/);
    // a full pair is a character and reads as one
    const r = items(parseDataset('{"id": "a", "prompt": "p", "answer": "\\ud83d\\ude00"}', "d.jsonl"));
    expect(r[0].answer).toBe("😀");
  });

  it("variant_of naming the item itself is a bad line", () => {
    const e = secondLineError({ id: "b", prompt: "p", answer: "x", variant_of: "b" });
    expect(e.message).toBe('d.jsonl:2: variant_of "b" names the item itself; an N-1 variant names the original item it changes, so point it there or remove variant_of');
  });

  it("a chain of 100,000 variants and a loop of 20,000 resolve in one pass (no stack overflow, no n² messages)", () => {
    const N = 100_000;
    const lines = [JSON.stringify({ id: "v0", prompt: "p", answer: "x", cluster: "c" })];
    for (let i = 1; i < N; i++) lines.push(JSON.stringify({ id: `v${i}`, prompt: "p", answer: "x", variant_of: `v${i - 1}` }));
    const chain = parseDataset(lines.join("\n"), "chain.jsonl");
    if (!chain.ok) throw new Error(JSON.stringify(chain).slice(0, 300));
    expect(chain.items.length).toBe(N);
    expect(chain.items[N - 1].cluster).toBe("c"); // the original's cluster reaches the last variant
    const L = 20_000;
    const loop = Array.from({ length: L }, (_, i) => JSON.stringify({ id: `l${i}`, prompt: "p", answer: "x", variant_of: `l${(i + 1) % L}` }));
    const r = parseDataset([JSON.stringify({ id: "ok", prompt: "p", answer: "x" }), ...loop].join("\n"), "loop.jsonl", "skip");
    if (!r.ok) throw new Error("expected the loop skipped");
    expect(r.skipped.length).toBe(L);
    expect(r.skipped[0].message).toBe('loop.jsonl:2: variant_of makes a loop ("l0" → "l1" → "l2" → "l3" → "l4" → … 19995 more → "l0"), so no item in it has an original; remove variant_of from the original item');
  });

  it("a variant_of loop is a bad line on each of its items, naming the loop; a variant of the loop is dropped too", () => {
    const r = parseDataset(jsonl(
      { id: "ok", prompt: "p", answer: "x" },
      { id: "a", prompt: "p", answer: "x", variant_of: "b" },
      { id: "b", prompt: "p", answer: "x", variant_of: "c" },
      { id: "c", prompt: "p", answer: "x", variant_of: "a" },
      { id: "d", prompt: "p", answer: "x", variant_of: "a" },
    ), "d.jsonl", "skip");
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.items.map((it) => it.id)).toEqual(["ok"]);
    expect(r.skipped.map((e) => e.message)).toEqual([
      'd.jsonl:2: variant_of makes a loop ("a" → "b" → "c" → "a"), so no item in it has an original; remove variant_of from the original item',
      'd.jsonl:3: variant_of makes a loop ("b" → "c" → "a" → "b"), so no item in it has an original; remove variant_of from the original item',
      'd.jsonl:4: variant_of makes a loop ("c" → "a" → "b" → "c"), so no item in it has an original; remove variant_of from the original item',
      'd.jsonl:5: variant_of "a" names no valid item of this file',
    ]);
  });

  it('a "json" item whose gold answer is not JSON is a bad line naming the item and the parse error', () => {
    const e = secondLineError({ id: "knap-1", prompt: "p", answer: "{items: [1]}", verifier: "json" });
    expect(e.message).toMatch(/^d\.jsonl:2: answer of item "knap-1" is not valid JSON \(.+\), and verifier "json" compares parsed JSON; write the gold answer as JSON text$/);
    // a number answer is JSON text
    expect(items(parseDataset(jsonl({ id: "n", prompt: "p", answer: 5, verifier: "json" }), "d.jsonl"))[0].answer).toBe("5");
  });

  it("a line over 1 MiB is a bad line found before it is parsed", () => {
    const big = JSON.stringify({ id: "big", prompt: "x".repeat(1 << 20), answer: "1" });
    const e = secondLineError(big);
    expect(e.message).toMatch(/^d\.jsonl:2: the line is 1\.0 MiB, over the 1 MiB limit for one line \(/);
  });
});

describe("readDataset: the file, read strictly", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ftledger-dataset-"));
  });
  const file = async (name: string, bytes: string | Uint8Array) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const line = (o: unknown) => Buffer.from(JSON.stringify(o) + "\n");

  it("reads a file (a UTF-8 byte-order mark and CRLF line ends included)", async () => {
    const path = await file("items.jsonl", `\uFEFF${jsonl({ id: "a", prompt: "p", answer: 1 }, { id: "é", prompt: "ü", answer: "ß" }).replace("\n", "\r\n")}\n`);
    expect(items(await readDataset(path))).toEqual([
      { id: "a", prompt: "p", answer: "1", domain: "default" },
      { id: "é", prompt: "ü", answer: "ß", domain: "default" },
    ]);
  });

  it("missing, a folder, empty: one file error each", async () => {
    const missing = join(dir, "none.jsonl");
    expect(fileError(await readDataset(missing))).toEqual({ code: "no_such_file", file: missing });
    const folder = join(dir, "folder");
    await mkdir(folder);
    expect(fileError(await readDataset(folder, "skip"))).toEqual({ code: "is_directory", file: folder });
    const empty = await file("empty.jsonl", "");
    expect(fileError(await readDataset(empty, "skip"))).toEqual({ code: "empty_file", file: empty });
  });

  it("an invalid UTF-8 byte is a file error naming line, byte and offset, even with skip (never a U+FFFD in the item)", async () => {
    const bad = Buffer.concat([line({ id: "a", prompt: "p", answer: "x" }), Buffer.from('{"id":"b","prompt":"p","answer":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    const path = await file("latin1.jsonl", bad);
    const offset = bad.indexOf(0xff);
    const lineStart = bad.indexOf(10) + 1;
    for (const mode of ["fail", "skip"] as const) {
      expect(fileError(await readDataset(path, mode))).toEqual({ code: "invalid_utf8", file: path, line: 2, column: offset - lineStart + 1, offset, byte: 0xff });
    }
  });

  it("a UTF-16 file (with or without a byte-order mark) is named as UTF-16, not reported as broken JSON", async () => {
    const text = jsonl({ id: "a", prompt: "p", answer: "x" }) + "\n";
    const withBom = await file("utf16-bom.jsonl", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    expect(fileError(await readDataset(withBom))).toEqual({ code: "other_encoding", file: withBom, encoding: "UTF-16LE", bom: true });
    const noBom = await file("utf16.jsonl", Buffer.from(text, "utf16le"));
    expect(fileError(await readDataset(noBom))).toEqual({ code: "other_encoding", file: noBom, encoding: "UTF-16LE", bom: false });
  });

  it("a 10 MB line is a bad line (the rest of the file still reads with skip)", async () => {
    const path = await file("big.jsonl", Buffer.concat([line({ id: "big", prompt: "x".repeat(10 << 20), answer: "1" }), line({ id: "b", prompt: "q", answer: "2" })]));
    expect(errors(await readDataset(path)).map((e) => e.line)).toEqual([1]);
    const r = await readDataset(path, "skip");
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.items.map((it) => it.id)).toEqual(["b"]);
    expect(r.skipped[0].message).toMatch(/big\.jsonl:1: the line is 10\.0 MiB, over the 1 MiB limit for one line/);
  });
});

describe("the example file in docs/PROBES.md", () => {
  it("parses: one item of each kind (chain of thought, its N-1 variant, multiple choice, short answer, JSON)", async () => {
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(join(import.meta.dirname, "..", "..", "docs", "PROBES.md"), "utf8");
    const block = /A complete example file[^]*?```jsonl\n([^]*?)```/.exec(doc)?.[1];
    expect(block, "the example block is missing from docs/PROBES.md").toBeDefined();
    const got = items(parseDataset(block!, "PROBES.md"));
    expect(got.map((i) => i.id)).toEqual(["apples-1", "apples-1-n1", "capital-fr", "sky-1", "tower-1"]);
    expect(got.map((i) => i.verifier ?? "exact")).toEqual(["number", "number", "choice", "exact", "json"]);
  });
});
