/**
 * `ftledger merge CONFIG.yaml`: a mergekit-compatible subset of its YAML.
 *
 *   merge_method: ties                  linear | task_arithmetic | ties | dare_linear | dare_ties | slerp | cpi
 *   base_model: zoo/base-m              the model task vectors are taken against (slerp: t = 0)
 *   models:
 *     - model: runs/sft-arith
 *       parameters: { weight: 0.5, density: 0.5 }
 *     - model: runs/sft-facts
 *       parameters:
 *         weight: [{ filter: self_attn, value: 0.7 }, { value: 0.3 }]   first matching filter wins
 *         density: [0.2, 0.8]                                           a gradient over the layers
 *   parameters: { normalize: true, lambda: 1 }
 *   dtype: bfloat16                     output dtype (float32 | float16 | bfloat16); default: each tensor's own
 *   seed: 1                             ours: seeds the random drop of dare_* (recorded in the output)
 *
 * A parameter value is a number or boolean, a gradient (a list of numbers, linearly
 * interpolated over the layer index as mergekit does; tensors outside the layers take the
 * first value for embeddings and the last for the final norm and head), or a list of
 * `{ filter, value }` whose first entry with `filter` a substring of the tensor name wins
 * (an entry without filter matches every tensor).
 */
import { z } from "zod";
import { loneSurrogateField, parseYamlText, readTextFile, TEXT_LIMITS, textErrorDetail, type TextError } from "../formats/index.js";
import { wfail, type WeightsResult } from "./errors.js";
import { MERGE_METHOD_NAMES } from "./merge/index.js";
import type { ModuleKind } from "./names.js";

const gradient = z.array(z.number()).min(1);
const plain = z.union([z.number(), z.boolean(), gradient]);
const filtered = z.array(z.strictObject({ filter: z.string().min(1).optional(), value: plain })).min(1);
export const paramValueSchema = z.union([plain, filtered]);
const paramsSchema = z.record(z.string(), paramValueSchema);

export const DTYPES = { float32: "F32", float16: "F16", bfloat16: "BF16" } as const;

export const mergeConfigSchema = z
  .strictObject({
    merge_method: z.string().min(1),
    base_model: z.string().min(1).optional(),
    models: z.array(z.strictObject({ model: z.string().min(1), parameters: paramsSchema.optional() })).min(1),
    parameters: paramsSchema.optional(),
    dtype: z.enum(Object.keys(DTYPES) as [keyof typeof DTYPES, ...(keyof typeof DTYPES)[]]).optional(),
    out_dtype: z.enum(Object.keys(DTYPES) as [keyof typeof DTYPES, ...(keyof typeof DTYPES)[]]).optional(),
    /** mergekit copies the base model's tokenizer by default; that is the only source supported here. */
    tokenizer_source: z.literal("base").optional(),
    /** 1: any fixed seed; it is recorded in the output's ftledger-merge.json. */
    seed: z.number().int().min(0).default(1),
  })
  .superRefine((c, ctx) => {
    if (!(MERGE_METHOD_NAMES as readonly string[]).includes(c.merge_method)) {
      ctx.addIssue({ code: "custom", path: ["merge_method"], message: `unknown method "${c.merge_method}"; valid: ${MERGE_METHOD_NAMES.join(", ")}` });
    }
  });

export type MergeConfig = z.infer<typeof mergeConfigSchema>;
export type ParamValue = z.infer<typeof paramValueSchema>;

/** mergekit keys this subset does not implement, each with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  slices: "slices (layer ranges from several models) are not supported; list whole models under models:",
  tokenizer: "tokenizer unions are not supported; the merge keeps base_model's tokenizer",
  chat_template: "chat_template is not supported; the merge keeps base_model's tokenizer_config.json",
};

export async function readMergeConfig(file: string): Promise<WeightsResult<MergeConfig>> {
  const text = await readTextFile(file, { limit: TEXT_LIMITS.settings });
  if (!text.ok) return wfail({ code: "bad_config", file, field: textField(text.error), message: textErrorDetail(text.error, MERGE_FILE) });
  return parseMergeConfig(text.value, file);
}

const MERGE_FILE = { kind: "a YAML merge config", holds: "a mapping with merge_method:, models: and (for most methods) base_model:" };

/** Where in the file a text error is, as bad_config's field. */
function textField(e: TextError): string {
  return e.code === "invalid_utf8" ? `line ${e.line}, byte ${e.column}` : "(file)";
}

export function parseMergeConfig(text: string, file: string): WeightsResult<MergeConfig> {
  const parsed = parseYamlText(text);
  if (!parsed.ok) return wfail({ code: "bad_config", file, field: parsed.line === undefined ? "(yaml)" : `line ${parsed.line}`, message: `not valid YAML: ${parsed.message}` });
  const raw = parsed.value;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return wfail({ code: "bad_config", file, field: "(root)", message: "expected a mapping with merge_method:, models: and (for most methods) base_model:" });
  }
  // YAML's "\ud800" escape decodes to half a character, as JSON's does
  const surrogate = loneSurrogateField(raw);
  if (surrogate !== null) return wfail({ code: "bad_config", file, field: surrogate, message: textErrorDetail({ code: "lone_surrogate", file, field: surrogate }) });
  for (const k of Object.keys(raw)) {
    if (k in UNSUPPORTED) return wfail({ code: "bad_config", file, field: k, message: UNSUPPORTED[k] });
  }
  const r = mergeConfigSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const is = r.error.issues[0];
  const field = is.path.map(String).join(".") || "(root)";
  if (is.code === "unrecognized_keys") return wfail({ code: "bad_config", file, field, message: `unknown key(s) ${is.keys.join(", ")}; see docs/WEIGHTS.md for the supported subset` });
  return wfail({ code: "bad_config", file, field, message: is.message });
}

/** Where a tensor sits along the layers, in [0, 1], for gradients. */
export function depthOf(layer: number | null, module: ModuleKind, nLayers: number): number {
  if (layer !== null) return nLayers <= 1 ? 0 : layer / (nLayers - 1);
  return module === "embed" ? 0 : 1;
}

/** A gradient's value at depth x ∈ [0, 1]: anchors evenly spaced, linear in between. */
export function interpolate(anchors: readonly number[], x: number): number {
  if (anchors.length === 1) return anchors[0];
  const pos = Math.min(Math.max(x, 0), 1) * (anchors.length - 1);
  const i = Math.min(Math.floor(pos), anchors.length - 2);
  const f = pos - i;
  return anchors[i] * (1 - f) + anchors[i + 1] * f;
}

/** One parameter's value for one tensor; undefined when no filter matches (the method's default applies). */
export function resolveParam(v: ParamValue, tensor: string, depth: number): number | boolean | undefined {
  if (typeof v === "number" || typeof v === "boolean") return v;
  if (v.length > 0 && typeof v[0] === "number") return interpolate(v as number[], depth);
  for (const entry of v as { filter?: string; value: number | boolean | number[] }[]) {
    if (entry.filter === undefined || tensor.includes(entry.filter)) return resolveParam(entry.value, tensor, depth);
  }
  return undefined;
}

/** Every parameter of a block resolved for one tensor (unmatched ones left out). */
export function resolveParams(block: Record<string, ParamValue> | undefined, tensor: string, depth: number): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const [k, v] of Object.entries(block ?? {})) {
    const r = resolveParam(v, tensor, depth);
    if (r !== undefined) out[k] = r;
  }
  return out;
}
