/**
 * safetensors: bit-exact round trips, the bytes checked by hand against the spec
 * (https://github.com/huggingface/safetensors "Format"), sharded views, and every
 * malformed-file case returning its error code with a message naming file and tensor.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatFormatError, openSafetensors, openSafetensorsModel, writeSafetensors, writeSafetensorsModel, type TensorToWrite,
} from "../../src/formats/index.js";
import { errorOf, sameBits, sampleFloats, tempDir, unwrap } from "./helpers.js";

const dir = await tempDir("safetensors");

const tensors: TensorToWrite[] = [
  { name: "a.weight", shape: [3, 5], data: sampleFloats(15, 1) },
  { name: "b.bias", shape: [7], data: sampleFloats(7, 2) },
  { name: "empty", shape: [0, 4], data: new Float32Array(0) },
  { name: "c", shape: [2, 3, 4], data: sampleFloats(24, 3) },
];

/** A file from a raw header (object or text) and data bytes; `declaredLength` overrides N. */
async function rawFile(name: string, header: unknown, data: Uint8Array, declaredLength?: bigint): Promise<string> {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([prefix, json, data]));
  return path;
}

describe("safetensors writer and reader", () => {
  it("round-trips float32 bit-exactly, with metadata", async () => {
    const path = join(dir, "rt.safetensors");
    await writeSafetensors(path, tensors, { note: "hello", format: "pt" });
    const src = unwrap(await openSafetensors(path));
    expect(src.names()).toEqual(tensors.map((t) => t.name));
    expect(src.metadata).toEqual({ note: "hello", format: "pt" });
    for (const t of tensors) {
      expect(src.info(t.name)!.shape).toEqual(t.shape);
      expect(sameBits(unwrap(await src.readTensor(t.name)), t.data)).toBe(true);
    }
    await src.close();
  });

  it("writes what the spec says: u64 length, JSON header, contiguous F32 offsets, 8-byte aligned buffer", async () => {
    const path = join(dir, "spec.safetensors");
    await writeSafetensors(path, tensors);
    const bytes = await readFile(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(bytes.toString("utf8", 8, 8 + n)) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    expect(header.__metadata__).toBeUndefined();
    let off = 0;
    for (const t of tensors) {
      const h = header[t.name];
      expect(h.dtype).toBe("F32");
      expect(h.shape).toEqual(t.shape);
      expect(h.data_offsets).toEqual([off, off + 4 * t.data.length]);
      const stored = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + n + off, bytes.byteOffset + 8 + n + off + 4 * t.data.length));
      expect(sameBits(stored, t.data)).toBe(true);
      off += 4 * t.data.length;
    }
    expect(bytes.length).toBe(8 + n + off);
  });

  it("stores F16 and BF16 and reads them back as float32", async () => {
    const data = Float32Array.from([1, -2.5, 0.1, 65504, 1e-3]);
    const path = join(dir, "half.safetensors");
    await writeSafetensors(path, [{ name: "h", shape: [5], data, dtype: "F16" }, { name: "b", shape: [5], data, dtype: "BF16" }]);
    const src = unwrap(await openSafetensors(path));
    expect(src.info("h")!.dtype).toBe("F16");
    const h = unwrap(await src.readTensor("h"));
    const b = unwrap(await src.readTensor("b"));
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(h[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -11);
      expect(Math.abs(b[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -8);
    }
    await src.close();
  });

  it("reads F64 by narrowing", async () => {
    const f64 = new Float64Array([Math.PI, -1e-3]);
    const path = await rawFile("f64.safetensors", { x: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, new Uint8Array(f64.buffer));
    const src = unwrap(await openSafetensors(path));
    expect([...unwrap(await src.readTensor("x"))]).toEqual([Math.fround(Math.PI), Math.fround(-1e-3)]);
    await src.close();
  });

  it("leaves no temp file and replaces an existing file whole", async () => {
    const path = join(dir, "replace.safetensors");
    await writeSafetensors(path, tensors);
    await writeSafetensors(path, [tensors[1]]);
    const src = unwrap(await openSafetensors(path));
    expect(src.names()).toEqual(["b.bias"]);
    await src.close();
    expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});

describe("sharded safetensors", () => {
  it("splits into numbered shards with an index and reads them as one view", async () => {
    const model = join(dir, "sharded");
    await mkdir(model);
    const files = await writeSafetensorsModel(model, tensors, { maxShardBytes: 64, metadata: { format: "pt" } });
    expect(files).toContain("model.safetensors.index.json");
    expect(files.filter((f) => f.endsWith(".safetensors")).length).toBeGreaterThan(1);
    const index = JSON.parse(await readFile(join(model, "model.safetensors.index.json"), "utf8"));
    expect(index.weight_map["c"]).toMatch(/^model-0000\d-of-0000\d\.safetensors$/);
    const src = unwrap(await openSafetensorsModel(model));
    expect(src.names()).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) expect(sameBits(unwrap(await src.readTensor(t.name)), t.data)).toBe(true);
    expect(src.fileOf("c")).toBe(join(model, index.weight_map["c"]));
    await src.close();
  });

  it("rejects an index that places a tensor in the wrong shard or outside the folder", async () => {
    const model = join(dir, "sharded");
    const index = JSON.parse(await readFile(join(model, "model.safetensors.index.json"), "utf8"));
    const shards = [...new Set(Object.values(index.weight_map as Record<string, string>))];
    const wrong = { weight_map: { ...index.weight_map, c: shards.find((s) => s !== index.weight_map.c) } };
    await writeFile(join(model, "model.safetensors.index.json"), JSON.stringify(wrong));
    const e = errorOf(await openSafetensorsModel(model));
    expect(e).toMatchObject({ code: "bad_index", tensor: "c" });
    expect(formatFormatError(e)).toContain("model.safetensors.index.json");
    await writeFile(join(model, "model.safetensors.index.json"), JSON.stringify({ weight_map: { c: "../x.safetensors" } }));
    expect(errorOf(await openSafetensorsModel(model))).toMatchObject({ code: "bad_index", tensor: "c" });
  });
});

describe("malformed safetensors files", () => {
  const good = { w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] } };
  const data16 = new Uint8Array(16);

  /** Open `path`, expect `code`, and check the message names the file (and tensor). */
  async function expectError(path: string, code: string, tensor?: string) {
    const e = errorOf(await openSafetensors(path));
    expect(e.code).toBe(code);
    const msg = formatFormatError(e);
    expect(msg).toContain(path);
    if (tensor) expect(msg).toContain(`"${tensor}"`);
    return e;
  }

  it("truncated data", async () => {
    const full = join(dir, "full.safetensors");
    await writeSafetensors(full, tensors);
    const bytes = await readFile(full);
    const cut = join(dir, "truncated.safetensors");
    await writeFile(cut, bytes.subarray(0, bytes.length - 10));
    await expectError(cut, "truncated", "c");
  });

  it("header length beyond the file, and files shorter than the length prefix", async () => {
    await expectError(await rawFile("hlen.safetensors", good, data16, 1n << 40n), "bad_header_length");
    const tiny = join(dir, "tiny.safetensors");
    await writeFile(tiny, Buffer.from([1, 2, 3]));
    await expectError(tiny, "bad_header_length");
  });

  it("header that is not JSON, or has malformed entries", async () => {
    await expectError(await rawFile("notjson.safetensors", "{not json", data16), "bad_header");
    await expectError(await rawFile("noshape.safetensors", { w: { dtype: "F32", data_offsets: [0, 16] } }, data16), "bad_header", "w");
  });

  it("unknown dtype names the dtype and the tensor; a known non-float dtype fails on read", async () => {
    const e = await expectError(await rawFile("dtype.safetensors", { w: { dtype: "F17", shape: [4], data_offsets: [0, 16] } }, data16), "unknown_dtype", "w");
    expect(formatFormatError(e)).toContain("F17");
    const src = unwrap(await openSafetensors(await rawFile("i64.safetensors", { w: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, data16)));
    const r = errorOf(await src.readTensor("w"));
    expect(r).toMatchObject({ code: "unsupported_dtype", tensor: "w", dtype: "I64" });
    expect(errorOf(await src.readTensor("nope"))).toMatchObject({ code: "no_such_tensor", tensor: "nope" });
    await src.close();
  });

  it("offsets out of order, overlapping, or not matching shape × dtype size", async () => {
    await expectError(await rawFile("order.safetensors", { w: { dtype: "F32", shape: [0], data_offsets: [8, 4] } }, data16), "bad_offsets", "w");
    const overlap = {
      w: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      v: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    };
    await expectError(await rawFile("overlap.safetensors", overlap, data16), "overlapping_tensors", "v");
    const e = await expectError(await rawFile("size.safetensors", { w: { dtype: "F32", shape: [3], data_offsets: [0, 16] } }, data16), "size_mismatch", "w");
    expect(e).toMatchObject({ expectedBytes: 12, gotBytes: 16 });
    await expectError(await rawFile("past.safetensors", { w: { dtype: "F32", shape: [8], data_offsets: [0, 32] } }, data16), "truncated", "w");
  });

  it("a missing file", async () => {
    const e = errorOf(await openSafetensors(join(dir, "absent.safetensors")));
    expect(e.code).toBe("missing_file");
    expect(formatFormatError(e)).toContain("absent.safetensors");
  });
});
