/**
 * A user's preference pairs for DPO: JSONL, one pair per line, in TRL's field names
 * (DPOTrainer's "standard" and "conversational" preference formats):
 *
 *   {"prompt": "Problem: …\nSolution:\n", "chosen": "x1 = 3 + 4 # 7\nAnswer: 7", "rejected": "3+4=7\nAnswer: 7"}
 *   {"prompt": [{"role": "user", "content": "…"}], "chosen": [{"role": "assistant", "content": "…"}], "rejected": […]}
 *
 * Fields: prompt, chosen, rejected (a string, or a one-message list: the prompt a user
 * message, the responses assistant messages), id (optional; default "line-N"). Unknown
 * fields are errors (a typo would otherwise be silently ignored). The texts must be in the
 * lab tokenizer's alphabet (printable ASCII, newline, tab): a character it does not know
 * would be trained on as <unk>. A bad line fails the file; every message names the file,
 * the line, the field and what to do. The file is read by formats' strict text reader
 * (UTF-8 only, a line over 1 MiB is an error found before it is parsed).
 */
import { z } from "zod";
import { formatTextError, loneSurrogateField, readTextLines, TEXT_LIMITS } from "../../formats/index.js";
import type { Tokenizer } from "../../model/index.js";
import type { PreferencePair } from "./pairs.js";

const message = (role: "user" | "assistant") =>
  z.strictObject({ role: z.literal(role, { error: `must be "${role}"` }), content: z.string({ error: "must be a string" }) });

/** A text, or TRL's conversational form of it: a list of exactly one message. */
const turn = (role: "user" | "assistant") =>
  z.union([
    z.string(),
    z.array(message(role)).length(1, { error: `a conversational turn must be a list of exactly one {"role": "${role}", "content": …} message` }).transform((m) => m[0].content),
  ], { error: `must be a string (or a list of one {"role": "${role}", "content": …} message)` });

const lineSchema = z.strictObject({
  id: z.string().min(1, { error: "must be a non-empty string" }).optional(),
  prompt: turn("user"),
  chosen: turn("assistant"),
  rejected: turn("assistant"),
});

const MAX_REPORTED = 5;

export type PairsFileResult = { ok: true; pairs: PreferencePair[] } | { ok: false; message: string };

function issueText(issues: z.core.$ZodIssue[]): string {
  return issues.map((is) => (is.code === "unrecognized_keys"
    ? `unknown field(s) ${is.keys.join(", ")} (the fields are prompt, chosen, rejected and an optional id)`
    : `field "${is.path.map(String).join(".") || "(line)"}" ${is.message}`)).join("; ");
}

/** The required fields a line lacks, named before the schema's type messages. */
function missingFields(json: unknown): string | null {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "must be a JSON object with prompt, chosen and rejected";
  const missing = (["prompt", "chosen", "rejected"] as const).filter((f) => !Object.hasOwn(json, f));
  return missing.length ? `field(s) ${missing.map((f) => `"${f}"`).join(", ")} missing; every line needs prompt, chosen and rejected` : null;
}

/** Why one parsed pair cannot be trained on, or null. */
function pairProblem(p: PreferencePair, tok: Tokenizer): string | null {
  for (const field of ["prompt", "chosen", "rejected"] as const) {
    const text = p[field];
    if (field !== "prompt" && text.length === 0) return `field "${field}" is empty; a response needs at least one character`;
    const at = tok.encode(text).indexOf(tok.unk);
    if (at >= 0) {
      const ch = [...text.slice(at)][0];
      return `field "${field}" holds ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}), which the lab's character tokenizer does not know (it reads printable ASCII, newline and tab); replace or remove it`;
    }
  }
  if (p.chosen === p.rejected) return `"chosen" and "rejected" are the same text, so the pair prefers nothing; fix or remove the line`;
  return null;
}

/** Read and check a pairs file; any bad line fails it (up to five are reported, with the count of the rest). */
export async function readPairsFile(file: string, tok: Tokenizer): Promise<PairsFileResult> {
  const pairs: PreferencePair[] = [];
  const bad: string[] = [];
  const seen = new Map<string, number>();
  const role = { kind: "a .jsonl file", holds: "one JSON object per line with prompt, chosen and rejected" };
  for await (const ev of readTextLines(file, { limit: TEXT_LIMITS.jsonl })) {
    if (ev.kind === "error") return { ok: false, message: formatTextError(ev.error, role) };
    if (ev.kind === "too_long") {
      bad.push(formatTextError(ev.error));
      continue;
    }
    if (ev.text.trim() === "") continue;
    const where = `${file}:${ev.line}`;
    let json: unknown;
    try {
      json = JSON.parse(ev.text);
    } catch (e) {
      bad.push(`${where}: not valid JSON (${(e as Error).message}); fix the syntax there`);
      continue;
    }
    const field = loneSurrogateField(json);
    if (field !== null) {
      bad.push(formatTextError({ code: "lone_surrogate", file, line: ev.line, field }));
      continue;
    }
    const missing = missingFields(json);
    if (missing) {
      bad.push(`${where}: ${missing}`);
      continue;
    }
    const r = lineSchema.safeParse(json);
    if (!r.success) {
      bad.push(`${where}: ${issueText(r.error.issues)}`);
      continue;
    }
    const p: PreferencePair = { id: r.data.id ?? `line-${ev.line}`, prompt: r.data.prompt, chosen: r.data.chosen, rejected: r.data.rejected };
    const first = seen.get(p.id);
    const why = first !== undefined ? `id "${p.id}" already used on line ${first}; give each pair its own id` : pairProblem(p, tok);
    if (why) {
      bad.push(`${where}: ${why}`);
      continue;
    }
    seen.set(p.id, ev.line);
    pairs.push(p);
  }
  if (bad.length > 0) {
    const more = bad.length > MAX_REPORTED ? `\n(and ${bad.length - MAX_REPORTED} more bad line(s))` : "";
    return { ok: false, message: `${bad.slice(0, MAX_REPORTED).join("\n")}${more}` };
  }
  if (pairs.length === 0) return { ok: false, message: `${file}: holds no pair; it must hold one JSON object per line with prompt, chosen and rejected` };
  return { ok: true, pairs };
}
