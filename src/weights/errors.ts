/**
 * What can be wrong with the models given to `diff`, `merge` and `sweep`, as data
 * (docs/CONTRIBUTING.md §9): every error names the model and the tensor, and its message ends
 * with what to do next. File-level problems (truncated shards, bad headers) keep the
 * formats module's own error.
 */
import { formatFormatError, type FormatError } from "../formats/index.js";

export type WeightsError =
  /** The path names no model folder (no config.json, no run checkpoint, no safetensors). */
  | { code: "no_model"; given: string; path: string; why: string }
  /** A file-level problem, as the formats module reports it. */
  | { code: "format"; error: FormatError }
  /** A tensor one model has and another lacks. */
  | { code: "tensor_missing"; tensor: string; in: string; missingFrom: string }
  /** The same tensor name with different shapes. */
  | { code: "shape_differs"; tensor: string; a: { model: string; shape: readonly number[] }; b: { model: string; shape: readonly number[] } }
  /** A merge config that cannot be run (YAML, schema, method rules). */
  | { code: "bad_config"; file: string; field: string; message: string }
  /** The output folder cannot be written. */
  | { code: "output"; path: string; message: string };

export type WeightsResult<T> = { ok: true; value: T } | { ok: false; error: WeightsError };

export const wfail = (error: WeightsError): { ok: false; error: WeightsError } => ({ ok: false, error });

export function formatWeightsError(e: WeightsError): string {
  switch (e.code) {
    case "no_model":
      return `${e.given}: ${e.why} (looked in ${e.path}). Give an HF-layout model folder (config.json + *.safetensors), a lab run folder, or zoo/NAME.`;
    case "format":
      return formatFormatError(e.error);
    case "tensor_missing":
      return `tensor "${e.tensor}" is in ${e.in} but not in ${e.missingFrom}. The models do not share one architecture; compare or merge only fine-tunes of the same base.`;
    case "shape_differs":
      return `tensor "${e.tensor}" has shape [${e.a.shape.join(", ")}] in ${e.a.model} but [${e.b.shape.join(", ")}] in ${e.b.model}. The models do not share one architecture (a resized vocabulary?); compare or merge only fine-tunes of the same base.`;
    case "bad_config":
      return `${e.file}: ${e.field}: ${e.message}`;
    case "output":
      return `cannot write ${e.path}: ${e.message}. Choose a writable --out folder with enough free space.`;
  }
}
