/**
 * The audit header's device line: where each model of the audit runs (LanguageModel.device:
 * "cpu (native kernels)", "cpu (llama.cpp, 2 threads)", "cuda: NVIDIA H200 (llama.cpp)",
 * "remote (1 endpoint)"). The same strings are in the result's manifest (runner.ts
 * `manifest.models[].device`); display only: a device that changes results changes the model id.
 * The pre-flight (preflight.ts `deviceFinding`) warns when the base and a tuned model run on
 * different kinds of device.
 */
import type { AuditModel } from "./runner.js";

const NOT_SAID = "not reported by its backend";

/** "device: X" when every model runs on X, else "devices: base X; tuned Y" (tuned1, tuned2, … when several). */
export function deviceLine(base: AuditModel, tuned: readonly AuditModel[]): string {
  const of = (m: AuditModel) => m.device ?? m.model.device ?? NOT_SAID;
  const all = [base, ...tuned].map(of);
  if (all.every((d) => d === all[0])) return `device: ${all[0]}`;
  const names = ["base", ...tuned.map((_, i) => (tuned.length === 1 ? "tuned" : `tuned${i + 1}`))];
  return `devices: ${all.map((d, i) => `${names[i]} ${d}`).join("; ")}`;
}

/** The kind of device: "cpu", "cuda", "vulkan", "remote", … (the text before ":" or " ("); null when not said. */
export function deviceKind(device: string | undefined): string | null {
  if (device === undefined) return null;
  return /^[^:( ]+/.exec(device)?.[0] ?? null;
}
