/**
 * User datasets: JSONL, one item per line (docs/PROBES.md "Your own items").
 *
 *   {"id": "q1", "prompt": "What is 2+3? End with a line 'Answer: N'.", "answer": "5",
 *    "steps": ["2 + 3 = 5"], "verifier": "number", "domain": "math"}
 *
 * Fields: id, prompt, answer (string or number) required; options (the answer among
 * them), steps, verifier (exact | number | choice | json), variant_of (the id of an item
 * in the same file), cluster (the unit resampling must respect; default: the cluster of
 * the variant_of item when given, else the item itself), domain (default "default"), role
 * (question | reference), meta (free-form, ignored) optional.
 * Unknown fields are errors (a typo would otherwise be silently ignored). A bad line is
 * reported with its line number; `onBadLine: "skip"` drops it (and any variant of it),
 * "fail" (the default) rejects the file. Nothing half-parsed is ever returned.
 *
 * The file is read by formats' strict text reader, line by line: UTF-8 only, a line over
 * 1 MiB is a bad line found before it is parsed, and a string with a lone surrogate is a
 * bad line. A file that is not UTF-8 at all (an invalid byte, UTF-16), missing, empty or
 * a folder is a whole-file error that skipping cannot get around (DatasetResult).
 */
import { z } from "zod";
import { formatTextError, loneSurrogateField, readTextLines, TEXT_LIMITS, type TextError } from "../formats/index.js";
import { VERIFIERS, clusterOf, type Item } from "../probes/index.js";
import { describeLoop, resolveVariants, type VariantFate } from "./variants.js";

const lineSchema = z
  .strictObject({
    id: z.string().min(1, "must be a non-empty string"),
    prompt: z.string(),
    answer: z.union([z.string(), z.number().transform(String)]),
    options: z.array(z.string()).min(2, "needs at least two options").optional(),
    steps: z.array(z.string()).optional(),
    verifier: z.enum(VERIFIERS).optional(),
    variant_of: z.string().min(1).optional(),
    /** Items that are not independent (one fact asked twice, one source document …) share a cluster. */
    cluster: z.string().min(1, "must be a non-empty string").optional(),
    domain: z.string().min(1).default("default"),
    role: z.enum(["question", "reference"]).default("question"),
    /** Free-form notes (an exported regression's provenance); not read by the probes. */
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.options && !v.options.includes(v.answer)) ctx.addIssue({ code: "custom", path: ["options"], message: `must include the answer "${v.answer}"` });
    if (v.role === "question" && v.prompt.trim() === "") ctx.addIssue({ code: "custom", path: ["prompt"], message: "is empty (only reference items may have an empty prompt)" });
    if (v.role === "reference" && v.answer.trim() === "") ctx.addIssue({ code: "custom", path: ["answer"], message: "a reference item's answer is its text and must not be empty" });
    // the json verifier parses the gold answer too: one that does not parse would score every response wrong
    if (v.verifier === "json") {
      const why = jsonError(v.answer);
      if (why !== null) ctx.addIssue({ code: "custom", path: ["answer"], message: `of item "${v.id}" is not valid JSON (${why}), and verifier "json" compares parsed JSON; write the gold answer as JSON text` });
    }
  });

function jsonError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface BadLine {
  line: number;
  message: string;
}

export type DatasetResult =
  | { ok: true; items: Item[]; skipped: BadLine[] }
  /** Lines that `onBadLine: "skip"` could leave out. */
  | { ok: false; kind: "lines"; errors: BadLine[] }
  /**
   * The file as a whole: missing, a folder, empty, too large, or not UTF-8 (an invalid
   * byte, UTF-16). Not a bad line: in a file that is not UTF-8, skipping the lines with
   * non-ASCII text would quietly keep only the ASCII items.
   */
  | { ok: false; kind: "file"; error: TextError };

function toItem(v: z.infer<typeof lineSchema>): Item {
  const item: Item = { id: v.id, prompt: v.prompt, answer: v.answer, domain: v.domain };
  if (v.options) item.options = v.options;
  if (v.steps) item.steps = v.steps;
  if (v.verifier) item.verifier = v.verifier;
  if (v.variant_of) item.variantOf = v.variant_of;
  if (v.cluster) item.cluster = v.cluster;
  if (v.role === "reference") item.role = "reference";
  return item;
}

function variantMessage(source: string, line: number, item: Item, f: Exclude<VariantFate, { kind: "kept" }>): string {
  if (f.kind === "orphan") return `${source}:${line}: variant_of "${f.parent}" names no valid item of this file`;
  return f.loop.length === 1
    ? `${source}:${line}: variant_of "${item.id}" names the item itself; an N-1 variant names the original item it changes, so point it there or remove variant_of`
    : `${source}:${line}: variant_of makes a loop (${describeLoop(f.loop, item.id)}), so no item in it has an original; remove variant_of from the original item`;
}

/**
 * A record of another schema turned into an item line (a --map of field names, an
 * lm-evaluation-harness sample): the line's object, or why it cannot be one.
 */
export type RecordAdapter = (record: unknown, line: number) => { ok: true; value: unknown } | { ok: false; message: string };

/** The lines of one file, one at a time (a stream or a split string), then the result. */
export function datasetLines(source: string, adapt?: RecordAdapter) {
  const bad: BadLine[] = [];
  const parsed: { line: number; item: Item }[] = [];
  const seen = new Map<string, number>();
  let content = false;
  return {
    /** A line longer than the line limit, left unread. */
    tooLong(line: number, error: TextError): void {
      content = true;
      bad.push({ line, message: formatTextError(error) });
    },
    add(line: number, raw: string): void {
      if (raw.trim() === "") return;
      content = true;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (e) {
        bad.push({ line, message: `${source}:${line}: not valid JSON (${(e as Error).message})` });
        return;
      }
      const field = loneSurrogateField(json);
      if (field !== null) {
        bad.push({ line, message: formatTextError({ code: "lone_surrogate", file: source, line, field }) });
        return;
      }
      this.record(line, json);
    },
    /** One record already parsed (a JSON line, a Parquet row). */
    record(line: number, json: unknown): void {
      content = true;
      if (adapt) {
        const a = adapt(json, line);
        if (!a.ok) {
          bad.push({ line, message: `${source}:${line}: ${a.message}` });
          return;
        }
        json = a.value;
      }
      const r = lineSchema.safeParse(json);
      if (!r.success) {
        const msgs = r.error.issues.map((is) => (is.code === "unrecognized_keys" ? `unknown field(s) ${is.keys.join(", ")}` : `${is.path.join(".") || "(line)"} ${is.message}`));
        bad.push({ line, message: `${source}:${line}: ${msgs.join("; ")}` });
        return;
      }
      const first = seen.get(r.data.id);
      if (first !== undefined) {
        bad.push({ line, message: `${source}:${line}: id "${r.data.id}" already used on line ${first}` });
        return;
      }
      seen.set(r.data.id, line);
      parsed.push({ line, item: toItem(r.data) });
    },
    finish(onBadLine: "skip" | "fail"): DatasetResult {
      if (!content) return { ok: false, kind: "file", error: { code: "empty_file", file: source } };
      // a variant needs an original: loops and variants of missing (or bad) items are bad lines
      const fates = resolveVariants(parsed.map((p) => p.item));
      const items: { line: number; item: Item }[] = [];
      for (const p of parsed) {
        const f = fates.get(p.item.id)!;
        if (f.kind === "kept") {
          if (f.cluster !== clusterOf(p.item)) p.item.cluster = f.cluster; // only where the default would be wrong
          items.push(p);
        } else bad.push({ line: p.line, message: variantMessage(source, p.line, p.item, f) });
      }
      bad.sort((a, b) => a.line - b.line);
      if (bad.length > 0 && onBadLine === "fail") return { ok: false, kind: "lines", errors: bad };
      if (items.length === 0) return { ok: false, kind: "lines", errors: [...bad, { line: 0, message: `${source}: no valid items` }] };
      return { ok: true, items: items.map((p) => p.item), skipped: bad };
    },
  };
}

/** Parse JSONL text already in memory; `source` names the file in messages. */
export function parseDataset(text: string, source: string, onBadLine: "skip" | "fail" = "fail"): DatasetResult {
  const d = datasetLines(source);
  const limit = TEXT_LIMITS.line;
  // NOTE: editors on Windows save UTF-8 with a byte-order mark; JSON.parse rejects it on line 1
  text.replace(/^\uFEFF/, "").split("\n").forEach((raw, i) => {
    const bytes = Buffer.byteLength(raw);
    if (bytes > limit.bytes) d.tooLong(i + 1, { code: "line_too_long", file: source, line: i + 1, bytes, limit: limit.bytes, reason: limit.reason });
    else d.add(i + 1, raw);
  });
  return d.finish(onBadLine);
}

/** Read a JSONL file line by line through the strict text reader (a line over the limit is never parsed). */
export async function readDataset(path: string, onBadLine: "skip" | "fail" = "fail", adapt?: RecordAdapter): Promise<DatasetResult> {
  const d = datasetLines(path, adapt);
  for await (const ev of readTextLines(path, { limit: TEXT_LIMITS.jsonl })) {
    if (ev.kind === "error") return { ok: false, kind: "file", error: ev.error };
    if (ev.kind === "too_long") d.tooLong(ev.line, ev.error);
    else d.add(ev.line, ev.text);
  }
  return d.finish(onBadLine);
}
