/**
 * GGUF: writer → reader round trip, node-llama-cpp's own GGUF parser reading our files
 * (an implementation we did not write), the llama export (names, dims, dtypes, vocab),
 * the q/k RoPE permutation, and malformed files.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { CharTokenizer, ops, parameterTable, totalParameters, type ModelConfig } from "../../src/model/index.js";
import {
  exportGguf, f16BitsToF32, f32ToF16Bits, formatFormatError, llamaCppTensorName, openGguf, permuteQK, saveCheckpoint,
  unpermuteQK, writeGguf, type GgufValue,
} from "../../src/formats/index.js";
import { errorOf, sameBits, sampleFloats, tempDir, unwrap } from "./helpers.js";

const dir = await tempDir("gguf");
const tok = new CharTokenizer();

const kv: [string, GgufValue][] = [
  ["general.architecture", { type: "string", value: "test" }],
  ["t.u8", { type: "uint8", value: 200 }],
  ["t.i8", { type: "int8", value: -100 }],
  ["t.u16", { type: "uint16", value: 60000 }],
  ["t.i16", { type: "int16", value: -30000 }],
  ["t.u32", { type: "uint32", value: 4_000_000_000 }],
  ["t.i32", { type: "int32", value: -2_000_000_000 }],
  ["t.f32", { type: "float32", value: Math.fround(0.1) }],
  ["t.f64", { type: "float64", value: 0.1 }],
  ["t.bool", { type: "bool", value: true }],
  ["t.u64", { type: "uint64", value: 2n ** 60n }],
  ["t.i64", { type: "int64", value: -(2n ** 60n) }],
  ["t.str", { type: "string", value: "ĠĊ ünï" }],
  ["t.arr", { type: "array", itemType: "string", value: ["a", "", "Ġb"] }],
  ["t.ints", { type: "array", itemType: "int32", value: [1, -2, 3] }],
  ["t.empty", { type: "array", itemType: "string", value: [] }],
];
const w = sampleFloats(6 * 5, 11);
const half = Float32Array.from(sampleFloats(7, 12), (x) => f16BitsToF32(f32ToF16Bits(x))); // exactly representable

describe("GGUF writer and reader", () => {
  const path = join(dir, "generic.gguf");

  it("round-trips metadata of every type and F32/F16 tensors with a custom alignment", async () => {
    await writeGguf(path, { kv, alignment: 64, tensors: [{ name: "w", shape: [6, 5], data: w, type: "F32" }, { name: "h", shape: [7], data: half, type: "F16" }] });
    const g = unwrap(await openGguf(path));
    expect(g.version).toBe(3);
    expect(g.alignment).toBe(64);
    expect(g.dataStart % 64).toBe(0);
    for (const [key, value] of kv) expect(g.kv.get(key)).toEqual(value);
    expect(g.tensor("w")).toMatchObject({ dims: [5, 6], shape: [6, 5], typeName: "F32", offset: 0 });
    expect(g.tensor("h")!.offset % 64).toBe(0);
    expect(sameBits(unwrap(await g.readTensor("w")), w)).toBe(true);
    expect(sameBits(unwrap(await g.readTensor("h")), half)).toBe(true);
    await g.close();
  });

  it("is read identically by node-llama-cpp's GGUF parser", async () => {
    const info = await readGgufFileInfo(path, { logWarnings: false });
    expect(info.version).toBe(3);
    const meta = info.metadata as unknown as Record<string, Record<string, unknown>>;
    expect(meta.t.str).toBe("ĠĊ ünï");
    expect(meta.t.arr).toEqual(["a", "", "Ġb"]);
    expect(Number(meta.t.i64)).toBe(-(2 ** 60));
    const g = unwrap(await openGguf(path));
    expect(info.infoEndOffset).toBe(g.dataStart);
    await g.close();
    expect(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number), t.ggmlType, Number(t.offset)])).toEqual([
      ["w", [5, 6], 0, 0],
      ["h", [7], 1, 128],
    ]);
  });
});

describe("malformed GGUF files", () => {
  async function expectError(name: string, bytes: Uint8Array, code: string, tensor?: string) {
    const p = join(dir, name);
    await writeFile(p, bytes);
    const e = errorOf(await openGguf(p));
    expect(e.code).toBe(code);
    expect(formatFormatError(e)).toContain(p);
    if (tensor) expect(formatFormatError(e)).toContain(`"${tensor}"`);
  }

  it("bad magic, unsupported version, truncation, unknown ggml type", async () => {
    const good = await readFile(join(dir, "generic.gguf"));
    const magic = Buffer.from(good);
    magic.write("GGUX", 0);
    await expectError("magic.gguf", magic, "bad_header");
    const version = Buffer.from(good);
    version.writeUInt32LE(9, 4);
    await expectError("version.gguf", version, "bad_header");
    await expectError("cut-data.gguf", good.subarray(0, good.length - 60), "truncated", "h");
    await expectError("cut-header.gguf", good.subarray(0, 200), "truncated");
    const typed = Buffer.from(good);
    const at = typed.indexOf(Buffer.from("w", "utf8"), typed.indexOf(Buffer.from("t.empty")) + 30); // name of tensor "w"
    typed.writeUInt32LE(77, at + 1 + 4 + 16); // after name, n_dims, two u64 dims
    await expectError("type.gguf", typed, "unknown_dtype", "w");
  });
});

describe("q/k permutation (HF rotate_half → llama.cpp interleaved RoPE)", () => {
  it("moves row h·HS + s·HS/2 + i to h·HS + 2i + s, and unpermute undoes it", () => {
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]); // 2 heads × HS 4, one column
    expect([...permuteQK(rows, 2, 1)]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    const m = sampleFloats(8 * 16 * 3, 5); // 8 heads × HS 16, 3 columns
    expect(sameBits(unpermuteQK(permuteQK(m, 8, 3), 8, 3), m)).toBe(true);
    expect(sameBits(permuteQK(m, 8, 3), m)).toBe(false);
  });

  it("turns the engine's rotate_half RoPE into adjacent-pair RoPE", () => {
    const H = 2, HS = 8, C = 3, pos = 5;
    const W = sampleFloats(H * HS * C, 9);
    const x = sampleFloats(C, 10);
    const proj = (m: Float32Array) => Float32Array.from({ length: H * HS }, (_, r) => m[r * C] * x[0] + m[r * C + 1] * x[1] + m[r * C + 2] * x[2]);
    const hf = proj(W); // engine: rotate pairs (i, i + HS/2)
    ops.ropeForward({ x: hf, positions: Int32Array.of(pos), H, HS, table: ops.ropeTable(HS, 8, 10000) });
    const cpp = proj(permuteQK(W, H, C)); // llama.cpp NORM rope: rotate pairs (2i, 2i + 1), θ_i = base^(−2i/HS)
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < HS / 2; i++) {
        const a = pos * Math.pow(10000, (-2 * i) / HS);
        const [x0, x1] = [cpp[h * HS + 2 * i], cpp[h * HS + 2 * i + 1]];
        [cpp[h * HS + 2 * i], cpp[h * HS + 2 * i + 1]] = [x0 * Math.cos(a) - x1 * Math.sin(a), x0 * Math.sin(a) + x1 * Math.cos(a)];
      }
    }
    const back = unpermuteQK(cpp, H, 1); // the same vector in HF order
    for (let r = 0; r < H * HS; r++) expect(back[r]).toBeCloseTo(hf[r], 5);
  });
});

describe("exportGguf (llama)", () => {
  const config: ModelConfig = { vocabSize: 120, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 48, contextLength: 64, ropeTheta: 5e5, normEps: 1e-6, tiedEmbeddings: true };
  const params = sampleFloats(totalParameters(config), 3);

  it("writes llama.cpp names, ggml dims, permuted q/k, f32 norms in f16 mode and a gpt2 character vocab", async () => {
    const ckpt = join(dir, "ckpt");
    unwrap(await saveCheckpoint(ckpt, { config, params, tokenizer: tok }));
    const out = join(dir, "m-f16.gguf");
    expect(unwrap(await exportGguf(ckpt, out, { dtype: "f16", name: "tiny" }))).toMatchObject({ tensors: 2 + 9 * 2 });
    const g = unwrap(await openGguf(out));
    const s = (k: string) => g.kv.get(k)?.value;
    expect([s("general.architecture"), s("general.name"), s("general.file_type"), s("llama.block_count"), s("llama.embedding_length")]).toEqual(["llama", "tiny", 1, 2, 32]);
    expect([s("llama.attention.head_count"), s("llama.attention.head_count_kv"), s("llama.rope.dimension_count"), s("llama.vocab_size")]).toEqual([4, 2, 8, 120]);
    expect([s("llama.rope.freq_base"), s("llama.attention.layer_norm_rms_epsilon")]).toEqual([5e5, Math.fround(1e-6)]);
    expect([s("tokenizer.ggml.model"), s("tokenizer.ggml.pre"), s("tokenizer.ggml.merges")]).toEqual(["gpt2", "default", []]);
    const tokens = s("tokenizer.ggml.tokens") as string[];
    const types = s("tokenizer.ggml.token_type") as number[];
    expect(tokens).toHaveLength(120);
    expect([tokens[tok.idOf(" ")], tokens[tok.idOf("\n")], tokens[tok.idOf("\t")], tokens[tok.idOf("A")]]).toEqual(["Ġ", "Ċ", "ĉ", "A"]);
    expect([tokens[tok.idOf("<|user|>")], types[tok.idOf("<|user|>")], types[tok.idOf("a")]]).toEqual(["<|user|>", 3, 1]);
    expect([tokens[119], types[119]]).toEqual([`<unused_${119 - tok.size}>`, 3]);
    expect(g.tensor("output.weight")).toBeUndefined(); // tied
    expect(g.tensor("token_embd.weight")).toMatchObject({ dims: [32, 120], typeName: "F16" });
    expect(g.tensor("blk.1.attn_norm.weight")).toMatchObject({ dims: [32], typeName: "F32" });
    expect(g.tensor("blk.0.attn_k.weight")).toMatchObject({ dims: [32, 16], typeName: "F16" });
    // tensor data: k_proj comes back permuted with n_kv_heads (to f16 precision)
    let off = 0;
    for (const spec of parameterTable(config)) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const want = params.subarray(off, off + n);
      off += n;
      let got = unwrap(await g.readTensor(llamaCppTensorName(spec.name)));
      if (spec.name.includes("q_proj")) got = unpermuteQK(got, 4, 32);
      if (spec.name.includes("k_proj")) got = unpermuteQK(got, 2, 32);
      const rounded = spec.shape.length === 1 ? want : Float32Array.from(want, (v) => f16BitsToF32(f32ToF16Bits(v)));
      expect(sameBits(got, rounded), spec.name).toBe(true);
    }
    await g.close();
  });

  it("reports a broken checkpoint instead of writing a file", async () => {
    const r = await exportGguf(join(dir, "no-such-ckpt"), join(dir, "x.gguf"), { dtype: "f32" });
    expect(errorOf(r).code).toBe("missing_file");
  });
});
