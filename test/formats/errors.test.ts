/**
 * Every error code renders a message that names the file (and the tensor or field when
 * the error has one) and ends with what to do. The Record makes the compiler ask for a
 * sample of each new code.
 */
import { describe, expect, it } from "vitest";
import { formatFormatError, type FormatError, type FormatErrorCode } from "../../src/formats/index.js";

const f = "/m/model.safetensors";
const samples: { [C in FormatErrorCode]: Extract<FormatError, { code: C }> } = {
  missing_file: { code: "missing_file", file: f, what: "safetensors weights" },
  io_error: { code: "io_error", file: f, message: "EACCES: permission denied" },
  bad_header_length: { code: "bad_header_length", file: f, headerLength: "1099511627776", fileSize: 100 },
  bad_header: { code: "bad_header", file: f, tensor: "w", message: `"shape" must be an array` },
  unknown_dtype: { code: "unknown_dtype", file: f, tensor: "w", dtype: "F17", known: ["F32", "F16"] },
  unsupported_dtype: { code: "unsupported_dtype", file: f, tensor: "w", dtype: "I64", supported: ["F32"] },
  bad_offsets: { code: "bad_offsets", file: f, tensor: "w", begin: 8, end: 4, message: "end is before begin" },
  overlapping_tensors: { code: "overlapping_tensors", file: f, tensor: "w", other: "v" },
  size_mismatch: { code: "size_mismatch", file: f, tensor: "w", dtype: "F32", shape: [3], expectedBytes: 12, gotBytes: 16 },
  truncated: { code: "truncated", file: f, tensor: "w", neededBytes: 200, fileSize: 100 },
  tensor_too_large: { code: "tensor_too_large", file: f, tensor: "w", elements: 2 ** 34, limit: 2 ** 32 },
  no_such_tensor: { code: "no_such_tensor", file: f, tensor: "w" },
  bad_index: { code: "bad_index", file: f, tensor: "w", message: "shard missing" },
  bad_config: { code: "bad_config", file: f, field: "rope_scaling", message: "not supported" },
  shape_mismatch: { code: "shape_mismatch", file: f, tensor: "w", expected: [4, 2], got: [2, 4] },
  missing_tensors: { code: "missing_tensors", file: f, tensors: ["w", "v"] },
  unexpected_tensors: { code: "unexpected_tensors", file: f, tensors: ["w"] },
  bad_tokenizer: { code: "bad_tokenizer", file: f, message: "different vocab" },
  bad_text: { code: "bad_text", file: f, error: { code: "invalid_utf8", file: f, line: 1, column: 2, offset: 1, byte: 0xff } },
  bad_adapter: { code: "bad_adapter", file: f, tensor: "w", message: "use_dora is true: DoRA is not supported", fix: "Use a plain LoRA adapter (use_dora false)" },
};

describe("formatFormatError", () => {
  for (const e of Object.values(samples) as FormatError[]) {
    it(`${e.code}: names the file and the tensor or field, and says what to do`, () => {
      const msg = formatFormatError(e);
      expect(msg.startsWith(f)).toBe(true);
      if ("tensor" in e && e.tensor) expect(msg).toContain(`"${e.tensor}"`);
      if ("field" in e) expect(msg).toContain(`"${e.field}"`);
      if ("tensors" in e) for (const t of e.tensors) expect(msg).toContain(t);
      // the last sentence is the next step
      const last = msg.split(". ").pop()!;
      expect(last).toMatch(/\b(check|re-export|re-download|convert|fix|list|rewrite|use|remove|write it again)\b/i);
      expect(msg.endsWith(".")).toBe(true);
    });
  }

  it("lists long tensor lists with a count of the rest", () => {
    const tensors = Array.from({ length: 20 }, (_, i) => `t${i}`);
    expect(formatFormatError({ code: "missing_tensors", file: f, tensors })).toContain("… (12 more)");
  });
});
