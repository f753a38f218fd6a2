/**
 * Everything that can be wrong with a model file, as data (docs/CONTRIBUTING.md §9). Every error
 * names the file, and the tensor or field when there is one; `formatFormatError`
 * renders it as a message that ends with what to do next.
 */

import { formatTextError, type TextError } from "./text-errors.js";

export type FormatError =
  /** A file the format needs is absent (`what` says which role it plays). */
  | { code: "missing_file"; file: string; what: string }
  /** The operating system refused a read or write. */
  | { code: "io_error"; file: string; message: string }
  /** safetensors: the u64 header length does not fit inside the file (null: not even 8 bytes). */
  | { code: "bad_header_length"; file: string; headerLength: string | null; fileSize: number }
  /** The header (JSON for safetensors, binary for GGUF) is malformed. */
  | { code: "bad_header"; file: string; tensor?: string; message: string }
  /** A dtype / ggml type that the format's spec does not define. */
  | { code: "unknown_dtype"; file: string; tensor: string; dtype: string; known: readonly string[] }
  /** A dtype the spec defines but that cannot be read as float32 weights. */
  | { code: "unsupported_dtype"; file: string; tensor: string; dtype: string; supported: readonly string[] }
  /** data_offsets that are not a valid [begin, end] byte range. */
  | { code: "bad_offsets"; file: string; tensor: string; begin: number; end: number; message: string }
  /** Two tensors claim the same bytes. */
  | { code: "overlapping_tensors"; file: string; tensor: string; other: string }
  /** The byte range does not hold shape × dtype size bytes. */
  | { code: "size_mismatch"; file: string; tensor: string; dtype: string; shape: number[]; expectedBytes: number; gotBytes: number }
  /** The file ends before the bytes of `tensor`. */
  | { code: "truncated"; file: string; tensor: string; neededBytes: number; fileSize: number }
  /** A tensor larger than one typed array can be in this Node.js (`limit` elements); the file is that large (or sparse), so the header did not lie. */
  | { code: "tensor_too_large"; file: string; tensor: string; elements: number; limit: number }
  /** A tensor was asked for by name and is not in the file. */
  | { code: "no_such_tensor"; file: string; tensor: string }
  /** A sharded model's `*.safetensors.index.json` is malformed or disagrees with its shards. */
  | { code: "bad_index"; file: string; tensor?: string; message: string }
  /** config.json cannot describe one of our llama models. */
  | { code: "bad_config"; file: string; field: string; message: string }
  /** A tensor's shape disagrees with config.json. */
  | { code: "shape_mismatch"; file: string; tensor: string; expected: number[]; got: number[] }
  /** Tensors the config needs that the weights do not have. */
  | { code: "missing_tensors"; file: string; tensors: string[] }
  /** Tensors the weights have that the config does not explain. */
  | { code: "unexpected_tensors"; file: string; tensors: string[] }
  /** tokenizer.json is not ftledger's character tokenizer. */
  | { code: "bad_tokenizer"; file: string; message: string }
  /** A JSON file that is not strict UTF-8 text (another encoding, an invalid byte, a lone surrogate, too large; text-errors.ts). */
  | { code: "bad_text"; file: string; error: TextError }
  /** A LoRA adapter (PEFT folder, GGUF adapter) that ftledger cannot apply as it is; `fix` says what to do. */
  | { code: "bad_adapter"; file: string; tensor?: string; message: string; fix: string };

export type FormatErrorCode = FormatError["code"];

const list = (xs: readonly string[], max = 8): string =>
  xs.slice(0, max).join(", ") + (xs.length > max ? `, … (${xs.length - max} more)` : "");

/** One user-facing message: what was wrong, where, and what to do next. */
export function formatFormatError(e: FormatError): string {
  switch (e.code) {
    case "missing_file":
      return `${e.file}: not found (${e.what}). Check the path; a checkpoint folder written by ftledger has config.json, model.safetensors and tokenizer.json.`;
    case "io_error":
      return `${e.file}: ${e.message}. Check that the file exists, is readable and that the disk is not full.`;
    case "bad_header_length":
      return e.headerLength === null
        ? `${e.file}: the file has ${e.fileSize} bytes, fewer than the 8-byte safetensors length prefix. The file is empty or cut off; re-download or re-export it.`
        : `${e.file}: the safetensors header claims ${e.headerLength} bytes but the file has only ${e.fileSize}. The file is not safetensors or was cut off; re-download or re-export it.`;
    case "bad_header":
      return `${e.file}: malformed header${e.tensor ? ` at tensor "${e.tensor}"` : ""}: ${e.message}. The file is corrupt or not in this format; re-export it.`;
    case "unknown_dtype":
      return `${e.file}: tensor "${e.tensor}" has dtype "${e.dtype}", which the format does not define (known: ${list(e.known, 20)}). The file is corrupt or from a newer writer; re-export it with a standard dtype.`;
    case "unsupported_dtype":
      return `${e.file}: tensor "${e.tensor}" has dtype "${e.dtype}", which ftledger cannot read as weights (supported: ${list(e.supported)}). Convert the model to float32, float16 or bfloat16 first.`;
    case "bad_offsets":
      return `${e.file}: tensor "${e.tensor}" has data offsets [${e.begin}, ${e.end}]: ${e.message}. The header is corrupt; re-export the file.`;
    case "overlapping_tensors":
      return `${e.file}: tensors "${e.tensor}" and "${e.other}" overlap in the data buffer. The header is corrupt; re-export the file.`;
    case "size_mismatch":
      return `${e.file}: tensor "${e.tensor}" (${e.dtype}, shape [${e.shape.join(", ")}]) needs ${e.expectedBytes} bytes but its data offsets span ${e.gotBytes}. The header is corrupt; re-export the file.`;
    case "truncated":
      return `${e.file}: the file is ${e.fileSize} bytes but tensor "${e.tensor}" needs bytes up to ${e.neededBytes}. The file was cut off (interrupted download or copy); fetch or write it again.`;
    case "tensor_too_large":
      return `${e.file}: tensor "${e.tensor}" has ${e.elements} elements, more than ftledger can read into one typed array in this Node.js (at most ${e.limit}, memory permitting). Use a model with smaller tensors, or run it through llama.cpp as a gguf:FILE spec (llama.cpp's convert_hf_to_gguf.py converts a safetensors model).`;
    case "no_such_tensor":
      return `${e.file}: there is no tensor named "${e.tensor}". List the file's tensors to find the right name.`;
    case "bad_index":
      return `${e.file}: ${e.tensor ? `tensor "${e.tensor}": ` : ""}${e.message}. Rewrite the index or re-download the sharded model.`;
    case "bad_config":
      return `${e.file}: field "${e.field}": ${e.message}. Fix config.json or re-export the checkpoint with ftledger.`;
    case "shape_mismatch":
      return `${e.file}: tensor "${e.tensor}" has shape [${e.got.join(", ")}] but config.json implies [${e.expected.join(", ")}]. The weights and config.json come from different models; use the config.json saved with these weights.`;
    case "missing_tensors":
      return `${e.file}: ${e.tensors.length} tensor(s) the config needs are missing: ${list(e.tensors)}. The checkpoint is incomplete or not a llama model; re-export it.`;
    case "unexpected_tensors":
      return `${e.file}: ${e.tensors.length} tensor(s) are not part of the llama layout config.json describes: ${list(e.tensors)}. Check tie_word_embeddings and num_hidden_layers, or remove the extra tensors.`;
    case "bad_tokenizer":
      return `${e.file}: ${e.message}. ftledger's engine uses its own character tokenizer; re-export the checkpoint with ftledger.`;
    case "bad_text":
      return formatTextError(e.error);
    case "bad_adapter":
      return `${e.file}: ${e.tensor ? `tensor "${e.tensor}": ` : ""}${e.message}. ${e.fix.replace(/\.?$/, ".")}`;
  }
}
