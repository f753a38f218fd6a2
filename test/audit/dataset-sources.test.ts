/**
 * Items from files of other schemas: a --map of field names (JSONL and Parquet), and
 * lm-evaluation-harness --log_samples output, each through the same item validation.
 * test/fixtures/mmlu-like.parquet (3 rows: question, choices list<string>, answer int32,
 * subject; snappy) was written once by another implementation, hyparquet-writer 0.17.0,
 * so the reader is checked against a file it did not write.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFieldMap, readItemsFile } from "../../src/audit/index.js";
import { tempDir } from "../formats/helpers.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "mmlu-like.parquet");
const dir = await tempDir("dataset-sources");
const write = async (name: string, lines: unknown[]) => {
  const path = join(dir, name);
  await writeFile(path, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return path;
};

describe("--map", () => {
  it("parses FIELD=SOURCE pairs, with the usual aliases; says what is wrong otherwise", () => {
    expect(parseFieldMap("question=q,target=a,choices=c")).toEqual({ ok: true, value: { prompt: "q", answer: "a", options: "c" } });
    expect(parseFieldMap("prompt=doc.question, answer=doc.answer")).toEqual({ ok: true, value: { prompt: "doc.question", answer: "doc.answer" } });
    expect(parseFieldMap("prompt=q")).toMatchObject({ ok: false, error: expect.stringMatching(/at least the prompt and the answer/) });
    expect(parseFieldMap("prompt=q,answer=a,colour=c")).toMatchObject({ ok: false, error: expect.stringMatching(/"colour" is not an item field/) });
    expect(parseFieldMap("prompt q")).toMatchObject({ ok: false, error: expect.stringMatching(/not FIELD=SOURCE/) });
  });

  it("reads a Parquet file (MMLU's layout: an integer answer indexes the choices)", async () => {
    const map = parseFieldMap("question=question,answer=answer,choices=choices,domain=subject");
    if (!map.ok) throw new Error(map.error);
    const r = await readItemsFile(FIXTURE, { map: map.value });
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.items.map((it) => [it.id, it.prompt, it.answer, it.domain])).toEqual([
      ["row-1", "What is 2+3?", "5", "arithmetic"],
      ["row-2", "Which is a colour?", "red", "words"],
      ["row-3", "What is 3*3?", "9", "arithmetic"],
    ]);
    expect(r.items[0].options).toEqual(["4", "5", "6", "7"]);
  });

  it("reads nested fields of a JSONL file; a row without a mapped field is a bad line naming it", async () => {
    const path = await write("nested.jsonl", [
      { doc: { q: "Capital of France?", a: "Paris" }, uid: 7 },
      { doc: { q: "Capital of Spain?" }, uid: 8 },
    ]);
    const map = parseFieldMap("id=uid,prompt=doc.q,answer=doc.a");
    if (!map.ok) throw new Error(map.error);
    const failed = await readItemsFile(path, { map: map.value });
    expect(failed).toMatchObject({ ok: false, kind: "lines", errors: [{ line: 2, message: expect.stringMatching(/nested\.jsonl:2: has no field "doc\.a" \(--map answer=doc\.a\)/) }] });
    const skipped = await readItemsFile(path, { map: map.value, onBadLine: "skip" });
    if (!skipped.ok) throw new Error("expected items");
    expect(skipped.items.map((it) => [it.id, it.answer])).toEqual([["7", "Paris"]]);
  });

  it("a Parquet path that is not a file is a whole-file error", async () => {
    const r = await readItemsFile(join(dir, "absent.parquet"), { map: { prompt: "q", answer: "a" } });
    expect(r).toMatchObject({ ok: false, kind: "file", error: { code: "no_such_file" } });
    const junk = join(dir, "junk.parquet");
    await writeFile(junk, "not parquet at all");
    expect(await readItemsFile(junk, { map: { prompt: "q", answer: "a" } })).toMatchObject({ ok: false, kind: "file", error: { code: "unreadable" } });
  });
});

describe("lm-evaluation-harness samples", () => {
  it("multiple choice (newer gen_args layout): the rendered context, the options, the gold option", async () => {
    const ctx = "Question: What is 2+3?\nAnswer:";
    const path = await write("samples_arith_mc_2026-01-02T03-04-05.123456.jsonl", [
      { doc_id: 0, doc: { q: "2+3" }, target: 1, arguments: { gen_args_0: { arg_0: ctx, arg_1: " 4" }, gen_args_1: { arg_0: ctx, arg_1: " 5" }, gen_args_2: { arg_0: ctx, arg_1: " 6" } }, resps: [], filtered_resps: [] },
    ]);
    const r = await readItemsFile(path);
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.items).toEqual([{ id: "arith_mc-0", prompt: ctx, answer: "5", options: ["4", "5", "6"], domain: "arith_mc" }]);
  });

  it("generation tasks (older list layout) and chat-rendered contexts", async () => {
    const chat = JSON.stringify([{ role: "system", content: "Be brief." }, { role: "user", content: "Name a colour." }]);
    const path = await write("samples_gen.jsonl", [
      { doc_id: 3, target: "red", arguments: [["Name a colour.", { until: ["\n"] }]], resps: [] },
      { doc_id: 4, target: "blue", arguments: { gen_args_0: { arg_0: chat, arg_1: { until: ["\n"] } } } },
    ]);
    const r = await readItemsFile(path);
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.items.map((it) => [it.id, it.prompt, it.answer, it.options])).toEqual([
      ["gen-3", "Name a colour.", "red", undefined],
      ["gen-4", "Name a colour.", "blue", undefined],
    ]);
  });
});
