/**
 * GGUF constants (spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md, version 3).
 *
 *   u32 magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count
 *   kv_count × (string key, u32 value_type, value)      arrays: u32 item type, u64 count, items
 *   tensor_count × (string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset)
 *   padding to `general.alignment` (default 32), then the tensor data
 * Strings are u64 length + UTF-8 bytes (no terminator); everything little-endian.
 * dims are in ggml order: ne[0] is the fastest-varying axis, i.e. the reversed row-major shape.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value types, by their u32 code. */
export const GGUF_VALUE_TYPES = [
  "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64",
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufScalarType = Exclude<GgufValueType, "array">;
export type GgufNumberType = Exclude<GgufScalarType, "bool" | "string" | "uint64" | "int64">;
export type GgufScalar = number | bigint | boolean | string;

export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: "uint64" | "int64"; value: bigint }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "array"; itemType: GgufScalarType; value: GgufScalar[] };

/** Byte size of fixed-size scalars (strings are variable). */
export const SCALAR_SIZES: Record<Exclude<GgufScalarType, "string">, number> = {
  uint8: 1, int8: 1, bool: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8,
};

/**
 * ggml tensor types: id → name, and (block size, bytes per block) where we are sure of
 * them (ggml.c `type_traits`); used to bound-check tensors we do not decode.
 */
export const GGML_TYPES: Readonly<Record<number, { name: string; block?: number; bytes?: number }>> = {
  0: { name: "F32", block: 1, bytes: 4 },
  1: { name: "F16", block: 1, bytes: 2 },
  2: { name: "Q4_0", block: 32, bytes: 18 },
  3: { name: "Q4_1", block: 32, bytes: 20 },
  6: { name: "Q5_0", block: 32, bytes: 22 },
  7: { name: "Q5_1", block: 32, bytes: 24 },
  8: { name: "Q8_0", block: 32, bytes: 34 },
  9: { name: "Q8_1", block: 32, bytes: 36 },
  10: { name: "Q2_K", block: 256, bytes: 84 },
  11: { name: "Q3_K", block: 256, bytes: 110 },
  12: { name: "Q4_K", block: 256, bytes: 144 },
  13: { name: "Q5_K", block: 256, bytes: 176 },
  14: { name: "Q6_K", block: 256, bytes: 210 },
  15: { name: "Q8_K", block: 256, bytes: 292 },
  16: { name: "IQ2_XXS" }, 17: { name: "IQ2_XS" }, 18: { name: "IQ3_XXS" }, 19: { name: "IQ1_S" },
  20: { name: "IQ4_NL" }, 21: { name: "IQ3_S" }, 22: { name: "IQ2_S" }, 23: { name: "IQ4_XS" },
  24: { name: "I8", block: 1, bytes: 1 },
  25: { name: "I16", block: 1, bytes: 2 },
  26: { name: "I32", block: 1, bytes: 4 },
  27: { name: "I64", block: 1, bytes: 8 },
  28: { name: "F64", block: 1, bytes: 8 },
  29: { name: "IQ1_M" },
  30: { name: "BF16", block: 1, bytes: 2 },
  34: { name: "TQ1_0" }, 35: { name: "TQ2_0" }, 39: { name: "MXFP4" },
};

export const GGML_F32 = 0;
export const GGML_F16 = 1;
export const GGML_BF16 = 30;

/** Bytes a tensor of `numel` elements occupies, when known for its type. */
export function ggmlBytes(type: number, numel: number): number | undefined {
  const t = GGML_TYPES[type];
  if (!t?.block || !t.bytes) return undefined;
  return Math.ceil(numel / t.block) * t.bytes;
}

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
