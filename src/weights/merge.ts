/**
 * `ftledger merge CONFIG.yaml --out DIR`: merge fine-tunes tensor by tensor with one of the
 * registered methods (./merge/registry.ts) and write an HF-layout folder that `builtin:` can
 * audit and `export gguf` can convert. Memory: one tensor per input model plus the output.
 *
 *   1. open base_model and the models; drop a listed model that is base_model itself
 *   2. check names and shapes agree (the first difference is the error)
 *   3. per tensor: resolve parameters (filters, gradients), validate them, merge, write
 */
import { createRng, hash32 } from "../random/index.js";
import type { FloatDType, TensorPlan } from "../formats/index.js";
import { wfail, type WeightsResult } from "./errors.js";
import { mergeMethod, type MergeMethod } from "./merge/index.js";
import { depthOf, DTYPES, resolveParams, type MergeConfig } from "./merge-config.js";
import { parseTensorName } from "./names.js";
import { checkOutput, WeightsAbort, writeModelFolder } from "./output-folder.js";
import { closeAll, openAllWeights, Scratch, sharedTensors, type ModelWeights } from "./source.js";

export interface MergeRunOptions {
  /** The config file, for messages and the manifest. */
  configFile: string;
  out: string;
  maxShardBytes?: number;
  onProgress?: (done: number, total: number, tensor: string) => void;
}

export interface MergeRunResult {
  dir: string;
  files: string[];
  method: string;
  tensors: number;
  notes: string[];
}

const WRITABLE = new Set(["F32", "F16", "BF16"]);

/** The zod message of the first issue, with its field. */
const issueText = (e: { issues: { path: PropertyKey[]; message: string }[] }) => {
  const is = e.issues[0];
  return `${is.path.map(String).join(".") || "(value)"}: ${is.message}`;
};

export async function runMerge(config: MergeConfig, o: MergeRunOptions): Promise<WeightsResult<MergeRunResult>> {
  const file = o.configFile;
  const found = mergeMethod(config.merge_method);
  if (!found.ok) return wfail({ code: "bad_config", file, field: "merge_method", message: found.error });
  const method: MergeMethod = found.value;
  const notes: string[] = [];
  if (method.base === "required" && config.base_model === undefined) {
    return wfail({ code: "bad_config", file, field: "base_model", message: `${method.name} takes task vectors against a base: add base_model:` });
  }
  const useBase = method.base !== "none" && config.base_model !== undefined;
  if (method.base === "none" && config.base_model !== undefined) notes.push(`${method.name} does not use base_model; it only supplies the config and tokenizer`);

  const opened = await openAllWeights([...(config.base_model !== undefined ? [config.base_model] : []), ...config.models.map((m) => m.model)]);
  if (!opened.ok) return opened;
  const all = opened.value;
  try {
    const base: ModelWeights | null = config.base_model !== undefined ? all[0] : null;
    const listed = config.base_model !== undefined ? all.slice(1) : all;
    // a listed model that is base_model contributes a zero task vector: leave it out, as mergekit does
    const keep = listed.map((m, i) => ({ m, i })).filter(({ m }) => !(useBase && base && m.dir === base.dir));
    if (keep.length < listed.length) notes.push(`left out ${listed.length - keep.length} listed model(s) that are base_model itself`);
    const models = keep.map((k) => k.m);
    const entries = keep.map((k) => config.models[k.i]);
    const count = models.length;
    if (count < method.minModels || (method.maxModels !== undefined && count > method.maxModels)) {
      const want = method.maxModels === method.minModels ? `${method.minModels}` : `${method.minModels}${method.maxModels ? `–${method.maxModels}` : " or more"}`;
      return wfail({ code: "bad_config", file, field: "models", message: `${method.name} merges ${want} model(s) besides base_model, got ${count}` });
    }
    const ref = base ?? models[0];
    const names = sharedTensors(ref, base ? models : models.slice(1));
    if (!names.ok) return names;
    const out = await checkOutput(o.out, all.map((m) => m.dir));
    if (!out.ok) return out;

    const parsed = names.value.map((n) => parseTensorName(n));
    const nLayers = 1 + Math.max(-1, ...parsed.map((p) => p.layer ?? -1));
    const forced = config.out_dtype ?? config.dtype;
    const plan: TensorPlan[] = names.value.map((name) => {
      const info = ref.source.info(name)!;
      const dtype = (forced ? DTYPES[forced] : WRITABLE.has(info.dtype) ? info.dtype : "F32") as FloatDType;
      return { name, shape: info.shape, dtype };
    });
    // one reused buffer per input: tensors are read into it, merged, and forgotten before the next
    const buffers = new Map<ModelWeights, Scratch>(all.map((m) => [m, new Scratch()]));
    // the method's result buffer: written to the shard before the next tensor is produced
    const output = new Scratch();
    const read = async (m: ModelWeights, name: string): Promise<Float32Array> => {
      const info = m.source.info(name)!;
      const r = await m.source.readTensor(name, buffers.get(m)!.get(info.shape.reduce((a, b) => a * b, 1)));
      if (!r.ok) throw new WeightsAbort({ code: "format", error: r.error });
      return r.value;
    };
    const produce = async (i: number): Promise<Float32Array> => {
      const name = names.value[i];
      o.onProgress?.(i, names.value.length, name);
      const depth = depthOf(parsed[i].layer, parsed[i].module, nLayers);
      const params = method.params.safeParse(resolveParams(config.parameters, name, depth));
      if (!params.success) throw new WeightsAbort({ code: "bad_config", file, field: `parameters (tensor "${name}")`, message: issueText(params.error) });
      const modelParams = entries.map((e, k) => {
        const r = method.modelParams.safeParse(resolveParams(e.parameters, name, depth));
        if (!r.success) throw new WeightsAbort({ code: "bad_config", file, field: `models[${keep[k].i}].parameters (tensor "${name}")`, message: issueText(r.error) });
        return r.data;
      });
      const inputs = [];
      for (const m of models) inputs.push(await read(m, name));
      return method.merge({
        name, shape: plan[i].shape, scratch: output.get(plan[i].shape.reduce((a, b) => a * b, 1)), base: useBase && base ? await read(base, name) : null, models: inputs, modelParams, params: params.data,
        rng: createRng(hash32(`${config.seed}:${name}`)),
      });
    };
    const manifest = {
      kind: "merge", method: method.name, reference: method.reference, seed: config.seed, config,
      inputs: { base_model: base && useBase ? base.dir : null, models: models.map((m) => m.dir) },
      created: new Date().toISOString(),
    };
    const written = await writeModelFolder({
      out: o.out, referenceDir: ref.dir, plan, produce, manifest, metadata: { ftledger_merge: method.name },
      extra: { "README.md": modelCard(config, method, models, base && useBase ? base : null) },
      ...(o.maxShardBytes ? { maxShardBytes: o.maxShardBytes } : {}),
    });
    if (!written.ok) return written;
    o.onProgress?.(names.value.length, names.value.length, "");
    return { ok: true, value: { ...written.value, method: method.name, tensors: names.value.length, notes } };
  } finally {
    await closeAll(all);
  }
}

/** A short model card, as mergekit writes one: what was merged, how, and from which paper. */
function modelCard(config: MergeConfig, method: MergeMethod, models: ModelWeights[], base: ModelWeights | null): string {
  return [
    "# merged model",
    "",
    `Made by \`ftledger merge\` with **${method.name}** (${method.reference}), seed ${config.seed}.`,
    "",
    ...(base ? [`Base model: \`${base.label}\``, ""] : []),
    "Models:",
    ...models.map((m) => `- \`${m.label}\``),
    "",
    "Configuration:",
    "",
    "```json",
    JSON.stringify(config, null, 2),
    "```",
    "",
    "Audit it against its inputs before use: `ftledger audit --base builtin:BASE --tuned builtin:THIS_FOLDER`.",
    "",
  ].join("\n");
}
