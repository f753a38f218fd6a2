/**
 * Which tokenizer a lab run trains with (issue "real models in and out": recipes take
 * `"tokenizer": "char" | PATH`): a fresh pre-training run the recipe's ("char", the
 * default, or a tokenizer.json relative to the config file); a fine-tune its base
 * checkpoint's (a config naming another one is refused); a resumed run its checkpoint's.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { CharTokenizer, type BpeTokenizer, type Tokenizer } from "../../model/index.js";
import { formatFormatError, loadCheckpointMeta, loadTokenizerFile, resolveCheckpointDir, resolveZooPath } from "../../formats/index.js";
import type { Recipe } from "../recipes/recipe.js";

type Found = { ok: true; value: Tokenizer } | { ok: false; message: string };

/** The file a recipe's tokenizer path names: relative to the config's folder, else a `zoo/…` path. */
export function tokenizerPath(spec: string, configDir?: string): string {
  if (isAbsolute(spec)) return spec;
  const near = resolve(configDir ?? ".", spec);
  return existsSync(near) ? near : resolveZooPath(spec);
}

/** "char" (or nothing): the character tokenizer; otherwise the tokenizer.json the path names. */
export async function recipeTokenizer(spec: string | undefined, configDir?: string): Promise<Found> {
  if (spec === undefined || spec === "char") return { ok: true, value: new CharTokenizer() };
  const file = tokenizerPath(spec, configDir);
  const t = await loadTokenizerFile(file);
  if (!t.ok) return { ok: false, message: `the config's "tokenizer" (${spec}): ${formatFormatError(t.error).replace(/\.$/, "")}. Set "tokenizer" to "char" or to a tokenizer.json made by \`ftledger lab tokenizer\`, relative to the config file.` };
  return t;
}

/** One line naming a tokenizer: its kind and size. */
export function describeTokenizer(t: Tokenizer): string {
  return t.kind === "char" ? `the character tokenizer (${t.size} tokens)` : `byte-level BPE (${t.size} tokens, ${(t as BpeTokenizer).merges.length} merges)`;
}

/** Whether two tokenizers give every text the same ids (same kind, tokens and merges). */
export function sameTokenizer(a: Tokenizer, b: Tokenizer): boolean {
  if (a.kind !== b.kind || a.size !== b.size || a.tokens.some((t, i) => t !== b.tokens[i])) return false;
  if (a.kind === "char") return true;
  const ma = (a as BpeTokenizer).merges, mb = (b as BpeTokenizer).merges;
  return ma.length === mb.length && ma.every(([x, y], i) => x === mb[i][0] && y === mb[i][1]);
}

/** A fine-tune trains with its base's tokenizer: why the recipe's own "tokenizer" (if any) is refused, or null. */
export async function baseTokenizerProblem(r: Recipe, baseTok: Tokenizer, configDir?: string): Promise<string | null> {
  if (r.tokenizer === undefined) return null;
  const named = await recipeTokenizer(r.tokenizer, configDir);
  if (!named.ok) return named.message;
  if (sameTokenizer(named.value, baseTok)) return null;
  return `the config names the tokenizer "${r.tokenizer}" (${describeTokenizer(named.value)}), but a fine-tune trains with its base's tokenizer (${describeTokenizer(baseTok)}, base ${r.base?.path}); remove "tokenizer" from the config, or name the base's own tokenizer.json.`;
}

/** The tokenizer of a run being resumed: its checkpoint's tokenizer.json, or for a LoRA run (adapter only) its base's. */
export async function resumeTokenizer(checkpoint: string, r: Recipe): Promise<Found> {
  let dir = checkpoint;
  if (!existsSync(join(checkpoint, "tokenizer.json"))) {
    if (!r.base) return recipeTokenizer(r.tokenizer);
    dir = await resolveCheckpointDir(r.base.path);
  }
  const meta = await loadCheckpointMeta(dir);
  if (!meta.ok) return { ok: false, message: formatFormatError(meta.error) };
  return { ok: true, value: meta.value.tokenizer };
}
