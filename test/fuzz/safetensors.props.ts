/**
 * safetensors: `openSafetensors` (the reader every weights command uses) and
 * `openShardedSafetensors`, on mutations of a valid file (header JSON, the u64 length
 * field, raw bytes), arbitrary bytes, and honest headers of huge tensors in sparse files.
 * Each must open or return a FormatError; an opened file must read every tensor or
 * return one — no exception, no allocation sized by a claim the file cannot back.
 */
import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { formatFormatError, openSafetensors, openShardedSafetensors, type FormatError, type Result, type TensorSource } from "../../src/formats/index.js";
import { expectFiniteNumbers, fuzzCase, interestingU64, mutatedBytes, mutatedJson, safeJson, tempDir, type FuzzFamily } from "./helpers.js";

/** A valid file: every dtype family, an empty tensor, a scalar, metadata. */
const BASE_HEADER = {
  __metadata__: { format: "pt", note: "fuzz" },
  f32: { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
  f16: { dtype: "F16", shape: [4], data_offsets: [24, 32] },
  bf16: { dtype: "BF16", shape: [1, 2, 2], data_offsets: [32, 40] },
  f64: { dtype: "F64", shape: [2], data_offsets: [40, 56] },
  i64: { dtype: "I64", shape: [2], data_offsets: [56, 72] },
  u8: { dtype: "U8", shape: [3], data_offsets: [72, 75] },
  empty: { dtype: "F32", shape: [0, 5], data_offsets: [75, 75] },
  scalar: { dtype: "F32", shape: [], data_offsets: [75, 79] },
};
const DATA = Uint8Array.from({ length: 79 }, (_, i) => (i * 37 + 11) & 255);

/** Values that matter to a safetensors header besides the generic ones. */
const HEADER_VALUES: unknown[] = [
  "F32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "F8_E4M3", "f32", "Q4_0",
  [0, 0], [0, 79], [79, 0], [-8, 0], [0, 2 ** 53], [2 ** 53, 2 ** 53 + 8], [0, 1e21], [0.5, 4.5], ["0", "4"], [0], [0, 4, 8],
  [2 ** 26, 2 ** 26], [2 ** 31, 2 ** 31, 2 ** 31], Array(24).fill(2 ** 52).concat([0]), [-1], [1.5],
];

export function encodeSafetensors(header: unknown, data: Uint8Array, claimedLength?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) ?? "null", "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(claimedLength ?? BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

export function expectFormatError(e: FormatError): void {
  const text = formatFormatError(e);
  if (typeof text !== "string") throw new Error(`error code ${safeJson(e.code)} has no message: ${safeJson(e)}`);
  expectFiniteNumbers(e);
}

/** Open, read every tensor, close: only results, never an exception. */
export async function readAll(opened: Result<TensorSource>): Promise<void> {
  if (!opened.ok) return expectFormatError(opened.error);
  const src = opened.value;
  try {
    for (const name of src.names()) {
      const t = await src.readTensor(name);
      if (!t.ok) expectFormatError(t.error);
    }
  } finally {
    await src.close();
  }
}

interface Ctx {
  dir: string;
  remove(): Promise<void>;
  baseFile: Uint8Array;
}

async function checkBytes(ctx: Ctx, bytes: Uint8Array): Promise<void> {
  const path = join(ctx.dir, "case.safetensors");
  await writeFile(path, bytes);
  await readAll(await openSafetensors(path));
}

/** Header claims of huge tensors that the (sparse) file really has room for. */
const hugeClaim = fc.record({
  dtype: fc.constantFrom("F32", "F16", "BF16", "F64"),
  log2: fc.integer({ min: 32, max: 34 }), // at most 128 GiB of hole: within every file system's file size limit
  extra: fc.nat({ max: 7 }),
  split: fc.integer({ min: 0, max: 3 }),
});

export const safetensorsFamily: FuzzFamily<Ctx> = {
  parser: "safetensors",
  async setup() {
    const t = await tempDir("safetensors");
    const baseFile = encodeSafetensors(BASE_HEADER, DATA);
    const ctx = { ...t, baseFile };
    // the mutations start from a file the reader accepts, so they probe past the first check
    const path = join(t.dir, "base.safetensors");
    await writeFile(path, baseFile);
    const base = await openSafetensors(path);
    if (!base.ok) throw new Error(`the base file does not open: ${formatFormatError(base.error)}`);
    await base.value.close();
    const shards = join(t.dir, "shards");
    await mkdir(shards);
    await writeFile(join(shards, "a.safetensors"), encodeSafetensors({ f32: BASE_HEADER.f32 }, DATA.subarray(0, 24)));
    await writeFile(join(shards, "b.safetensors"), encodeSafetensors({ f16: { ...BASE_HEADER.f16, data_offsets: [0, 8] } }, DATA.subarray(0, 8)));
    return ctx;
  },
  teardown: (ctx) => ctx.remove(),
  properties: [
    {
      name: "mutated header JSON",
      runs: 300,
      make: (ctx) => fuzzCase(mutatedJson(BASE_HEADER, HEADER_VALUES), (h) => checkBytes(ctx, encodeSafetensors(h, DATA))),
    },
    {
      name: "header length field lies",
      runs: 100,
      make: (ctx) => fuzzCase(fc.oneof(interestingU64, fc.integer({ min: -16, max: 16 }).map((d) => BigInt(Math.max(0, ctx.baseFile.length - 8 - DATA.length + d)))), (n) =>
        checkBytes(ctx, encodeSafetensors(BASE_HEADER, DATA, n))),
    },
    {
      name: "byte mutations of a valid file",
      runs: 200,
      make: (ctx) => fuzzCase(mutatedBytes(ctx.baseFile), (b) => checkBytes(ctx, b)),
    },
    {
      name: "arbitrary bytes",
      runs: 100,
      make: (ctx) => fuzzCase(fc.uint8Array({ maxLength: 300 }), (b) => checkBytes(ctx, b)),
    },
    {
      name: "arbitrary JSON header",
      runs: 100,
      make: (ctx) => fuzzCase(fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.uint8Array({ maxLength: 64 })), ([h, data]) => checkBytes(ctx, encodeSafetensors(h, data))),
    },
    {
      name: "huge tensors in a sparse file are refused before allocating",
      runs: 8,
      make: (ctx) => fuzzCase(hugeClaim, async (c) => {
        const size = { F32: 4, F16: 2, BF16: 2, F64: 8 }[c.dtype]!;
        const numel = 2 ** c.log2 + c.extra;
        const rows = 2 ** c.split;
        const shape = numel % rows === 0 ? [rows, numel / rows] : [numel];
        const bytes = encodeSafetensors({ big: { dtype: c.dtype, shape, data_offsets: [0, numel * size] } }, new Uint8Array(0));
        const path = join(ctx.dir, "sparse.safetensors");
        await writeFile(path, bytes);
        const fh = await open(path, "r+");
        await fh.truncate(bytes.length + numel * size); // a hole: no disk, no memory
        await fh.close();
        await readAll(await openSafetensors(path));
      }),
    },
    {
      name: "mutated sharded index",
      runs: 100,
      make: (ctx) => {
        const index = { metadata: { total_size: 24 }, weight_map: { f32: "a.safetensors", f16: "b.safetensors" } };
        return fuzzCase(mutatedJson(index, ["a.safetensors", "b.safetensors", "../a.safetensors", ".", "..", "", "/etc/passwd", "f32"]), async (ix) => {
          const path = join(ctx.dir, "shards", "model.safetensors.index.json");
          await writeFile(path, JSON.stringify(ix) ?? "");
          await readAll(await openShardedSafetensors(path));
        });
      },
    },
  ],
};
