/**
 * parseDataset (src/audit/dataset.ts): the JSONL schema of docs/PROBES.md "Your own
 * items". Every bad line is reported with its 1-based line number; "fail" returns no
 * items at all, "skip" returns the good ones and lists what it dropped.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDataset, readDataset, type BadLine, type DatasetResult } from "../../src/audit/index.js";
import { clusterOf, type Item } from "../../src/probes/index.js";

const jsonl = (...lines: unknown[]) => lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n");

function items(r: DatasetResult): Item[] {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.errors)}`);
  return r.items;
}

function errors(r: DatasetResult): BadLine[] {
  if (r.ok) throw new Error(`expected errors, got ${r.items.length} items`);
  return r.errors;
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

  it('a file with no valid item is an error even with "skip"; so is an empty file', () => {
    expect(errors(parseDataset("{oops\n", "d.jsonl", "skip"))).toEqual([
      { line: 1, message: expect.stringMatching(/^d\.jsonl:1: not valid JSON/) },
      { line: 0, message: "d.jsonl: no valid items" },
    ]);
    expect(errors(parseDataset("\n\n", "d.jsonl"))).toEqual([{ line: 0, message: "d.jsonl: no valid items" }]);
  });
});

describe("readDataset", () => {
  it("reads a file, and a missing file is an error naming the path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-dataset-"));
    const path = join(dir, "items.jsonl");
    await writeFile(path, jsonl({ id: "a", prompt: "p", answer: 1 }) + "\n");
    expect(items(await readDataset(path))).toEqual([{ id: "a", prompt: "p", answer: "1", domain: "default" }]);
    const missing = errors(await readDataset(join(dir, "none.jsonl")));
    expect(missing).toHaveLength(1);
    expect(missing[0].line).toBe(0);
    expect(missing[0].message).toContain("none.jsonl: cannot read the dataset (ENOENT)");
  });
});
