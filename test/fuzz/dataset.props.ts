/**
 * `--data FILE.jsonl` (src/audit/dataset.ts): `parseDataset` on arbitrary lines, valid and
 * mutated items and long variant_of chains, and `readDataset` on mutated bytes of a valid
 * file. The result must be a DatasetResult — items (unique ids, every variant's original
 * among them), bad lines with their numbers, or a whole-file error — never an exception.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { parseDataset, readDataset, type DatasetResult } from "../../src/audit/index.js";
import { fuzzCase, mutatedBytes, mutatedJson, mutatedText, safeJson, tempDir, type FuzzFamily } from "./helpers.js";

const ID = fc.constantFrom("q1", "q2", "q3", "", "__proto__", "constructor");
const validItem = fc.record(
  {
    id: ID.filter((s) => s !== ""),
    prompt: fc.oneof(fc.constant("What is 2+3?"), fc.string({ maxLength: 12, unit: "binary" })),
    answer: fc.oneof(fc.constant("5"), fc.integer(), fc.string({ maxLength: 6 })),
    options: fc.array(fc.constantFrom("5", "6", "7"), { minLength: 2, maxLength: 3 }),
    steps: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
    verifier: fc.constantFrom("exact", "number", "choice", "json", "regex"),
    variant_of: ID,
    cluster: fc.string({ maxLength: 4 }),
    domain: fc.constantFrom("math", "", "default"),
    role: fc.constantFrom("question", "reference", "other"),
    meta: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: ["id", "prompt", "answer"] },
);
const BASE_ITEM = { id: "q1", prompt: "What is 2+3? End with a line 'Answer: N'.", answer: "5", steps: ["2 + 3 = 5"], verifier: "number", domain: "math" };
const line = fc.oneof(
  { weight: 3, arbitrary: validItem.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: mutatedJson(BASE_ITEM, ["q1", "q2", "exact", "json", "reference", ["5", "6"], { k: 1 }]).map((v) => JSON.stringify(v) ?? "") },
  { weight: 1, arbitrary: mutatedText(JSON.stringify(BASE_ITEM)) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: "binary" }) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "\r", "\uFEFF{}", "{", "[]", "null") },
);
const jsonl = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom("\n", "\r\n")).map(([ls, eol]) => ls.join(eol));

/** Well formed: what the CLI prints, and what the probes would be given. */
function expectDatasetResult(r: DatasetResult): void {
  const bad = (why: string) => new Error(`${why}: ${safeJson(r)}`);
  const lines = (xs: readonly { line: number; message: string }[]) => {
    for (const b of xs) if (!Number.isInteger(b.line) || b.line < 0 || typeof b.message !== "string" || b.message === "") throw bad("a bad line without a line number or a message");
  };
  if (r.ok) {
    lines(r.skipped);
    const ids = new Set(r.items.map((it) => it.id));
    if (ids.size !== r.items.length) throw bad("two items share an id");
    for (const it of r.items) {
      if (typeof it.id !== "string" || it.id === "" || typeof it.prompt !== "string" || typeof it.answer !== "string") throw bad("an item without id, prompt or answer");
      if (it.variantOf !== undefined && !ids.has(it.variantOf)) throw bad(`item "${it.id}" is a variant of "${it.variantOf}", which is not among the items`);
    }
    return;
  }
  const failed = r as { kind?: string; errors?: { line: number; message: string }[]; error?: { code?: unknown } };
  if (failed.errors !== undefined) {
    if (failed.errors.length === 0) throw bad("a failed result with no errors");
    return lines(failed.errors);
  }
  if (typeof failed.error?.code !== "string") throw bad("a failed result with neither bad lines nor a file error");
}

interface Ctx {
  dir: string;
  remove(): Promise<void>;
}

const BASE_FILE = new Uint8Array(Buffer.from([
  JSON.stringify(BASE_ITEM),
  JSON.stringify({ id: "q2", prompt: "Pick one: ünï", answer: "b", options: ["a", "b"], verifier: "choice", variant_of: "q1" }),
  JSON.stringify({ id: "r1", prompt: "", answer: "reference text", role: "reference" }),
].join("\n") + "\n", "utf8"));

export const datasetFamily: FuzzFamily<Ctx> = {
  parser: "dataset",
  setup: () => tempDir("dataset"),
  teardown: (ctx) => ctx.remove(),
  properties: [
    {
      name: "parseDataset on arbitrary and mutated lines",
      runs: 300,
      make: () => fuzzCase(fc.tuple(jsonl, fc.constantFrom("skip" as const, "fail" as const)), ([text, mode]) => expectDatasetResult(parseDataset(text, "fuzz.jsonl", mode))),
    },
    {
      name: "parseDataset on long variant_of chains",
      runs: 6,
      // a case costs up to seconds: report the first failure as found rather than shrink it
      endOnFailure: true,
      benchRuns: 20,
      make: () => fuzzCase(
        // sizes kept below what exhausts the heap (a 20,000-item loop does, in variantCycles' messages)
        fc.record({
          end: fc.constantFrom("root" as const, "missing" as const, "loop" as const),
          size: fc.nat({ max: 1000 }),
          mode: fc.constantFrom("skip" as const, "fail" as const),
        }).map(({ end, size, mode }) => ({ end, mode, n: end === "root" ? 20_000 + 10 * size : end === "missing" ? 2000 + 3 * size : 1000 + 2 * size })),
        ({ n, end, mode }) => {
          // item k is a variant of item k + 1; the last is an original, names a missing item, or closes a loop
          const lines = Array.from({ length: n }, (_, k) => {
            const parent = k < n - 1 ? `i${k + 1}` : end === "root" ? undefined : end === "missing" ? "nowhere" : "i0";
            return JSON.stringify({ id: `i${k}`, prompt: "p", answer: "a", ...(parent ? { variant_of: parent } : {}) });
          });
          expectDatasetResult(parseDataset(lines.join("\n"), "chain.jsonl", mode));
        },
      ),
    },
    {
      name: "readDataset on mutated bytes of a valid file",
      runs: 100,
      make: (ctx) => fuzzCase(fc.tuple(mutatedBytes(BASE_FILE), fc.constantFrom("skip" as const, "fail" as const)), async ([bytes, mode]) => {
        const path = join(ctx.dir, "case.jsonl");
        await writeFile(path, bytes);
        expectDatasetResult(await readDataset(path, mode));
      }),
    },
  ],
};
