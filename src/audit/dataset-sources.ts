/**
 * Items from the files people already have, turned into ftledger's item lines
 * (dataset.ts) before the same validation:
 *
 *   --map prompt=question,answer=target,options=choices   a JSONL or Parquet file of another
 *        schema: each of our fields read from the named field (a dotted path: doc.question,
 *        choices.text); an integer answer with options is the index of the gold option
 *        (MMLU's `answer: 2`), a letter A–Z too; unmapped fields of the file are ignored
 *   Parquet (.parquet)   read with hyparquet, row by row (row numbers stand for line numbers)
 *   lm-evaluation-harness `--log_samples` output (samples_<task>_<time>.jsonl), recognised
 *        by its fields (doc_id, arguments, target): the prompt the harness rendered, the
 *        answer options of a multiple-choice task, the gold answer
 */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { readTextLines, TEXT_LIMITS, type TextError } from "../formats/index.js";
import { datasetLines, readDataset, type DatasetResult, type RecordAdapter } from "./dataset.js";

/** Item fields a --map may fill, and the names people use for them. */
const FIELDS = ["id", "prompt", "answer", "options", "steps", "domain", "cluster", "variant_of", "verifier"] as const;
type Field = (typeof FIELDS)[number];
const ALIASES: Record<string, Field> = { question: "prompt", input: "prompt", target: "answer", choices: "options" };

export type FieldMap = Partial<Record<Field, string>>;

/** `prompt=question,answer=target,…` → the map, or what is wrong with it. */
export function parseFieldMap(text: string): { ok: true; value: FieldMap } | { ok: false; error: string } {
  const map: FieldMap = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z_]+)=(\S+)$/.exec(part);
    if (!m) return { ok: false, error: `--map: "${part}" is not FIELD=SOURCE (e.g. prompt=question)` };
    const field = (FIELDS as readonly string[]).includes(m[1]) ? (m[1] as Field) : ALIASES[m[1]];
    if (!field) return { ok: false, error: `--map: "${m[1]}" is not an item field; map one of ${FIELDS.join(", ")} (or question, choices, target)` };
    if (map[field] !== undefined) return { ok: false, error: `--map: ${field} is mapped twice` };
    map[field] = m[2];
  }
  if (map.prompt === undefined || map.answer === undefined) return { ok: false, error: "--map must name at least the prompt and the answer (e.g. prompt=question,answer=target)" };
  return { ok: true, value: map };
}

/** The value at a dotted path (array indices allowed), or undefined. */
function at(record: unknown, path: string): unknown {
  let v: unknown = record;
  for (const key of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return typeof v === "bigint" ? Number(v) : v;
}

/** A gold answer given as the index (or letter) of an option, as the option's text. */
function goldOption(answer: unknown, options: string[] | undefined): unknown {
  if (!options) return answer;
  if (typeof answer === "number" && Number.isInteger(answer) && answer >= 0 && answer < options.length) return options[answer];
  if (typeof answer === "string" && /^[A-Z]$/.test(answer) && !options.includes(answer)) {
    const i = answer.charCodeAt(0) - 65;
    if (i < options.length) return options[i];
  }
  return answer;
}

/** Records of another schema, read through `map`. */
export function mappedRecords(map: FieldMap): RecordAdapter {
  return (record, line) => {
    if (record === null || typeof record !== "object") return { ok: false, message: "is not an object" };
    const out: Record<string, unknown> = {};
    for (const [field, path] of Object.entries(map) as [Field, string][]) {
      const v = at(record, path);
      if (v === undefined || v === null) {
        if (field === "prompt" || field === "answer") return { ok: false, message: `has no field "${path}" (--map ${field}=${path})` };
        continue;
      }
      out[field] = field === "options" || field === "steps" ? (Array.isArray(v) ? v.map(String) : v) : typeof v === "number" && field !== "answer" ? String(v) : v;
    }
    out.answer = goldOption(out.answer, out.options as string[] | undefined);
    if (typeof out.answer === "number") out.answer = String(out.answer);
    out.id ??= `row-${line}`;
    return { ok: true, value: out };
  };
}

/** One request of a sample: its context and its continuation (multiple choice) or generation settings. */
function sampleRequests(args: unknown): [unknown, unknown][] | null {
  if (Array.isArray(args)) return args.every((a) => Array.isArray(a)) ? (args as unknown[][]).map((a) => [a[0], a[1]]) : null;
  if (args && typeof args === "object") {
    // newer harness versions: { gen_args_0: { arg_0: context, arg_1: continuation }, … }
    const entries = Object.entries(args as Record<string, Record<string, unknown>>)
      .filter(([k]) => /^gen_args_\d+$/.test(k))
      .sort(([a], [b]) => Number(a.slice(9)) - Number(b.slice(9)));
    return entries.length > 0 ? entries.map(([, v]) => [v?.arg_0, v?.arg_1]) : null;
  }
  return null;
}

/** A context the harness logged as a chat (with --apply_chat_template): its last user message. */
function contextText(ctx: unknown): string | null {
  if (typeof ctx !== "string") return null;
  if (ctx.startsWith("[")) {
    try {
      const chat = JSON.parse(ctx) as { role?: string; content?: string }[];
      const user = chat.filter((m) => m.role === "user").pop();
      if (user && typeof user.content === "string") return user.content;
    } catch {
      // a plain prompt that starts with "[": kept as it is
    }
  }
  return ctx;
}

/** lm-evaluation-harness's per-sample logs as items. */
export function lmEvalSamples(task: string): RecordAdapter {
  return (record) => {
    const r = record as { doc_id?: unknown; arguments?: unknown; target?: unknown };
    if (r === null || typeof r !== "object" || r.doc_id === undefined) return { ok: false, message: "has no doc_id: not an lm-evaluation-harness sample" };
    const reqs = sampleRequests(r.arguments);
    if (!reqs || reqs.length === 0) return { ok: false, message: "has no readable arguments (expected gen_args_N with arg_0, or a list of [context, continuation])" };
    const prompt = contextText(reqs[0][0]);
    if (prompt === null) return { ok: false, message: "arguments' first context is not text" };
    const choice = reqs.every(([, c]) => typeof c === "string");
    const options = choice && reqs.length > 1 ? reqs.map(([, c]) => String(c).trim()) : undefined;
    let answer = goldOption(r.target, options);
    if (options && typeof answer === "string" && !options.includes(answer) && options.includes(answer.trim())) answer = answer.trim();
    if (answer === undefined || answer === null) return { ok: false, message: "has no target" };
    return {
      ok: true,
      value: { id: `${task}-${String(r.doc_id)}`, prompt, answer: typeof answer === "number" ? String(answer) : answer, domain: task, ...(options ? { options } : {}) },
    };
  };
}

/** The task of a harness samples file (`samples_<task>_<timestamp>.jsonl`), or "lm-eval". */
function harnessTask(path: string): string {
  const m = /^samples_(.+?)_\d{4}-\d{2}-\d{2}T[\d-]+(?:\.\d+)?\.jsonl$/.exec(basename(path)) ?? /^samples_(.+)\.jsonl$/.exec(basename(path));
  return m ? m[1] : "lm-eval";
}

/** Whether a JSON line looks like a harness sample. */
function isHarnessSample(line: string): boolean {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    return v !== null && typeof v === "object" && "doc_id" in v && "arguments" in v && !("prompt" in v);
  } catch {
    return false;
  }
}

async function firstLine(path: string): Promise<string | null> {
  for await (const ev of readTextLines(path, { limit: TEXT_LIMITS.jsonl })) {
    if (ev.kind === "line" && ev.text.trim() !== "") return ev.text;
    if (ev.kind !== "line") return null;
  }
  return null;
}

/** Rows of a Parquet file through the item validation; a file hyparquet cannot read is a whole-file error. */
async function readParquet(path: string, onBadLine: "skip" | "fail", adapt?: RecordAdapter): Promise<DatasetResult> {
  const kind = await stat(path).then((s) => (s.isDirectory() ? "dir" : "file"), () => "missing");
  if (kind !== "file") return { ok: false, kind: "file", error: { code: kind === "dir" ? "is_directory" : "no_such_file", file: path } };
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  } catch (e) {
    const error: TextError = { code: "unreadable", file: path, message: `not a Parquet file ftledger can read (${(e as Error).message})` };
    return { ok: false, kind: "file", error };
  }
  const d = datasetLines(path, adapt);
  rows.forEach((row, i) => d.record(i + 1, row));
  return d.finish(onBadLine);
}

/** Items from one --data file: JSONL in ftledger's schema, or (with --map) another, Parquet, or harness samples. */
export async function readItemsFile(path: string, o: { onBadLine?: "skip" | "fail"; map?: FieldMap } = {}): Promise<DatasetResult> {
  const onBadLine = o.onBadLine ?? "fail";
  const adapt = o.map ? mappedRecords(o.map) : undefined;
  if (path.endsWith(".parquet")) return readParquet(path, onBadLine, adapt);
  if (!o.map) {
    const first = await firstLine(path);
    if (first !== null && isHarnessSample(first)) return readDataset(path, onBadLine, lmEvalSamples(harnessTask(path)));
  }
  return readDataset(path, onBadLine, adapt);
}
