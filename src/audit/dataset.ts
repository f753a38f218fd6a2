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
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { VERIFIERS, clusterOf, type Item } from "../probes/index.js";

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
  });

export interface BadLine {
  line: number;
  message: string;
}

export type DatasetResult = { ok: true; items: Item[]; skipped: BadLine[] } | { ok: false; errors: BadLine[] };

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

/**
 * A variant without a `cluster` of its own joins its parent's cluster: clusterOf's
 * default (variant_of) names the parent, which is right unless the parent names another
 * cluster (or is itself a variant). Only those variants get an explicit `cluster`, so a
 * file that names no cluster reads back to exactly the items it always did.
 */
function inheritClusters(items: Item[]): void {
  const byId = new Map(items.map((it) => [it.id, it]));
  const resolved = new Map<string, string>();
  const resolve = (item: Item, seen: Set<string>): string => {
    const known = resolved.get(item.id);
    if (known !== undefined) return known;
    seen.add(item.id);
    const parent = item.variantOf === undefined ? undefined : byId.get(item.variantOf);
    // NOTE: a variant_of cycle (a → b → a) has no root: the walk stops at the first item seen twice
    const cluster = item.cluster ?? (parent && !seen.has(parent.id) ? resolve(parent, seen) : clusterOf(item));
    resolved.set(item.id, cluster);
    return cluster;
  };
  for (const item of items) {
    const cluster = resolve(item, new Set());
    if (cluster !== clusterOf(item)) item.cluster = cluster;
  }
}

/** Parse JSONL text; `source` names the file in messages. */
export function parseDataset(text: string, source: string, onBadLine: "skip" | "fail" = "fail"): DatasetResult {
  const bad: BadLine[] = [];
  const parsed: { line: number; item: Item }[] = [];
  const seen = new Map<string, number>();
  // NOTE: editors on Windows save UTF-8 with a byte-order mark; JSON.parse rejects it on line 1
  text.replace(/^\uFEFF/, "").split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      bad.push({ line, message: `${source}:${line}: not valid JSON (${(e as Error).message})` });
      return;
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
  });
  // a variant needs its parent: drop variants of missing (or dropped) parents, repeatedly
  let items = parsed;
  for (;;) {
    const ids = new Set(items.map((p) => p.item.id));
    const orphans = items.filter((p) => p.item.variantOf !== undefined && !ids.has(p.item.variantOf));
    if (orphans.length === 0) break;
    for (const o of orphans) bad.push({ line: o.line, message: `${source}:${o.line}: variant_of "${o.item.variantOf}" names no valid item of this file` });
    items = items.filter((p) => !orphans.includes(p));
  }
  inheritClusters(items.map((p) => p.item));
  bad.sort((a, b) => a.line - b.line);
  if (bad.length > 0 && onBadLine === "fail") return { ok: false, errors: bad };
  if (items.length === 0) return { ok: false, errors: [...bad, { line: 0, message: `${source}: no valid items` }] };
  return { ok: true, items: items.map((p) => p.item), skipped: bad };
}

export async function readDataset(path: string, onBadLine: "skip" | "fail" = "fail"): Promise<DatasetResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    return { ok: false, errors: [{ line: 0, message: `${path}: cannot read the dataset (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a JSONL file.` }] };
  }
  return parseDataset(text, path, onBadLine);
}
