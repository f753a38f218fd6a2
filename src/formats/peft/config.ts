/**
 * The strict check of a PEFT `adapter_config.json` (peft's `LoraConfig`, src/peft/tuners/lora/config.py):
 * ftledger applies y = x Wᵀ + (lora_alpha / r)·(x Aᵀ) Bᵀ on the llama linear layers and
 * nothing else, so every field that would change that arithmetic must be at its plain-LoRA
 * value. Each refusal names the field, says it is not supported, and what to do instead.
 * Fields that do not change the arithmetic (revision, init_lora_weights, inference_mode, …)
 * are not looked at.
 */
import { LORA_MODULES, type LoraConfig, type LoraModule } from "../../model/index.js";
import type { FormatError } from "../errors.js";
import { fail, ok, type Result } from "../result.js";
import { isLoraModule } from "./layout.js";

export interface PeftConfig extends LoraConfig {
  /** `base_model_name_or_path` (null when the file has none). */
  baseModel: string | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

export function readPeftConfig(raw: unknown, file: string): Result<PeftConfig> {
  const bad = (message: string, fix: string): { ok: false; error: FormatError } => fail({ code: "bad_adapter", file, message, fix });
  const plain = "ftledger applies plain LoRA only; retrain the adapter with PEFT's defaults for this field, or merge it into the base with PEFT (merge_and_unload) and use the merged model";
  if (!isObject(raw)) return bad("adapter_config.json is not a JSON object", "Write it with PEFT's save_pretrained or ftledger");

  const type = raw.peft_type;
  if (type !== "LORA") {
    return bad(`peft_type is ${JSON.stringify(type)}, not "LORA": only LoRA adapters are supported`, "Use a LoRA adapter (PEFT LoraConfig), or merge this adapter into its base with PEFT and use the merged model");
  }
  if (raw.task_type !== undefined && raw.task_type !== null && raw.task_type !== "CAUSAL_LM") {
    return bad(`task_type is ${JSON.stringify(raw.task_type)}: only "CAUSAL_LM" adapters of a LlamaForCausalLM are supported`, "Train the adapter with task_type CAUSAL_LM");
  }
  // fields whose non-default value changes the arithmetic
  if (raw.use_rslora === true) return bad("use_rslora is true: rank-stabilised LoRA (scaling alpha/√r) is not supported", plain);
  if (raw.use_dora === true) return bad("use_dora is true: DoRA (weight-decomposed LoRA) is not supported", plain);
  if (raw.bias !== undefined && raw.bias !== "none") return bad(`bias is ${JSON.stringify(raw.bias)}: trained biases are not supported (only "none")`, plain);
  if (raw.lora_bias === true) return bad("lora_bias is true: a bias on lora_B is not supported", plain);
  if (raw.fan_in_fan_out === true) return bad("fan_in_fan_out is true: transposed (Conv1D-style) base weights are not supported; llama layers are nn.Linear", plain);
  for (const f of ["rank_pattern", "alpha_pattern"] as const) {
    if (!isEmpty(raw[f])) return bad(`${f} is ${JSON.stringify(raw[f])}: per-module ranks or alphas are not supported`, plain);
  }
  for (const f of ["layers_to_transform", "layer_replication", "modules_to_save", "exclude_modules"] as const) {
    if (!isEmpty(raw[f])) return bad(`${f} is ${JSON.stringify(raw[f])}: not supported (every layer of every target module must be adapted, and nothing else trained)`, plain);
  }

  const r = raw.r;
  if (typeof r !== "number" || !Number.isSafeInteger(r) || r <= 0) return bad(`r is ${JSON.stringify(r)}: the rank must be a positive integer`, "Fix adapter_config.json");
  const alpha = raw.lora_alpha;
  if (typeof alpha !== "number" || !Number.isFinite(alpha)) return bad(`lora_alpha is ${JSON.stringify(alpha)}: it must be a finite number`, "Fix adapter_config.json");
  const dropout = raw.lora_dropout ?? 0;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) return bad(`lora_dropout is ${JSON.stringify(dropout)}: it must be a number in [0, 1)`, "Fix adapter_config.json");

  const targets = readTargets(raw.target_modules);
  if (!targets.ok) return bad(targets.message, `Use target_modules from ${LORA_MODULES.join(", ")}`);
  const base = raw.base_model_name_or_path;
  return ok({ r, alpha, dropout, targetModules: targets.modules, baseModel: typeof base === "string" ? base : null });
}

type Targets = { ok: true; modules: LoraModule[] } | { ok: false; message: string };

/** A list of module names from LORA_MODULES, or PEFT's "all-linear" (every linear layer but the output head). */
function readTargets(t: unknown): Targets {
  if (t === "all-linear") return { ok: true, modules: [...LORA_MODULES] };
  if (typeof t === "string") return { ok: false, message: `target_modules is the pattern ${JSON.stringify(t)}: regular expressions are not supported, only a list of module names or "all-linear"` };
  if (!Array.isArray(t) || t.length === 0) return { ok: false, message: `target_modules is ${JSON.stringify(t)}: it must be a non-empty list of module names` };
  const unknown = t.filter((m) => typeof m !== "string" || !isLoraModule(m));
  if (unknown.length) return { ok: false, message: `target_modules names ${unknown.map((m) => JSON.stringify(m)).join(", ")}, which is not a linear layer of a llama block` };
  // LORA_MODULES order, so two files with the same set compare equal
  return { ok: true, modules: LORA_MODULES.filter((m) => t.includes(m)) };
}
