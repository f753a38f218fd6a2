/**
 * GGUF: ftledger's own reader (`openGguf`) and the metadata check `checkGguf` runs before
 * llama.cpp sees a file (`checkMetadata`) — never llama.cpp itself, which aborts the process
 * on some files. Mutations of a valid file (every count, length, type tag, dim and offset
 * made to lie; raw bytes), arbitrary bytes, random headers, and huge claims that a sparse
 * file backs. Each must open or return a FormatError, never throw or allocate by a claim.
 */
import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { formatFormatError, openGguf } from "../../src/formats/index.js";
import { checkMetadata, formatGgufCheckError } from "../../src/backends/llamacpp/check.js";
import { ggufHeader, i32Item, strItem, strv, u32v, type RawTensor, type RawValue } from "./gguf-bytes.js";
import { expectFiniteNumbers, fuzzCase, interestingU32, interestingU64, mutatedBytes, safeJson, tempDir, withU64, type FuzzFamily } from "./helpers.js";
import { expectFormatError } from "./safetensors.props.js";

const BASE_KV: [string, RawValue][] = [
  ["general.architecture", strv("llama")],
  ["llama.block_count", u32v(1)],
  ["llama.embedding_length", u32v(2)],
  ["llama.context_length", u32v(8)],
  ["llama.attention.head_count", u32v(1)],
  ["tokenizer.ggml.model", strv("gpt2")],
  ["tokenizer.ggml.tokens", { type: 9, itemType: 8, items: ["a", "b", "Ġc", "<eos>"].map(strItem) }],
  ["tokenizer.ggml.token_type", { type: 9, itemType: 5, items: [1, 1, 1, 3].map(i32Item) }],
  ["t.u64", { type: 10, scalar: new Uint8Array(8).fill(7) }],
  ["t.f64", { type: 12, scalar: new Uint8Array(8).fill(0x3f) }],
  ["t.bool", { type: 7, scalar: Uint8Array.of(1) }],
  ["t.u8", { type: 0, scalar: Uint8Array.of(200) }],
];
const BASE_TENSORS: RawTensor[] = [
  { name: "token_embd.weight", dims: [2n, 4n], type: 0, offset: 0n }, // F32, 32 bytes
  { name: "h", dims: [3n], type: 1, offset: 32n }, // F16, 6 bytes
  { name: "q", dims: [32n], type: 8, offset: 64n }, // Q8_0, one 34-byte block
];
const DATA = Uint8Array.from({ length: 98 }, (_, i) => (i * 29 + 3) & 255);

function baseFile() {
  const g = ggufHeader(BASE_KV, BASE_TENSORS);
  return { bytes: Uint8Array.from([...g.bytes(), ...DATA]), fields: g.fields };
}

/** Open, check the metadata llama.cpp needs, read every tensor, close: results only. */
async function readAll(path: string): Promise<void> {
  const r = await openGguf(path);
  if (!r.ok) return expectFormatError(r.error);
  const f = r.value;
  try {
    const bad = checkMetadata(f);
    if (bad) {
      if (typeof formatGgufCheckError(bad) !== "string") throw new Error(`check error without a message: ${safeJson(bad)}`);
      expectFiniteNumbers(bad);
    }
    for (const t of f.tensors) {
      const x = await f.readTensor(t.name);
      if (!x.ok) expectFormatError(x.error);
    }
  } finally {
    await f.close();
  }
}

interface Ctx {
  dir: string;
  remove(): Promise<void>;
  base: ReturnType<typeof baseFile>;
}

async function checkBytes(ctx: Ctx, bytes: Uint8Array): Promise<void> {
  const path = join(ctx.dir, "case.gguf");
  await writeFile(path, bytes);
  await readAll(path);
}

/** `bytes` written, then extended with a hole to `size` bytes (no disk, no memory). */
async function sparse(ctx: Ctx, bytes: Uint8Array, size: number): Promise<string> {
  const path = join(ctx.dir, "sparse.gguf");
  await writeFile(path, bytes);
  const fh = await open(path, "r+");
  await fh.truncate(Math.max(size, bytes.length));
  await fh.close();
  return path;
}

const rawValue: fc.Arbitrary<RawValue> = fc.oneof(
  fc.record({ type: fc.oneof(fc.nat({ max: 13 }), interestingU32), scalar: fc.uint8Array({ maxLength: 9 }) }),
  fc.record({ type: fc.constant(8 as const), text: fc.string({ maxLength: 12, unit: "binary" }) }),
  fc.record({
    type: fc.constant(9 as const), itemType: fc.oneof(fc.nat({ max: 13 }), interestingU32),
    items: fc.array(fc.uint8Array({ maxLength: 9 }), { maxLength: 4 }), count: fc.option(interestingU64, { nil: undefined }),
  }),
);
const rawTensor: fc.Arbitrary<RawTensor> = fc.record({
  name: fc.string({ maxLength: 12 }),
  dims: fc.array(fc.oneof(interestingU64, fc.bigInt({ min: 0n, max: 16n })), { maxLength: 5 }),
  type: fc.oneof(fc.constantFrom(0, 1, 8, 28, 30, 16, 31), interestingU32),
  offset: fc.oneof(fc.constantFrom(0n, 32n, 64n), interestingU64),
});

export const ggufFamily: FuzzFamily<Ctx> = {
  parser: "gguf",
  async setup() {
    const t = await tempDir("gguf");
    const ctx = { ...t, base: baseFile() };
    // mutations start from a file the reader and the metadata check accept
    const path = join(t.dir, "base.gguf");
    await writeFile(path, ctx.base.bytes);
    const r = await openGguf(path);
    if (!r.ok) throw new Error(`the base file does not open: ${formatFormatError(r.error)}`);
    const bad = checkMetadata(r.value);
    await r.value.close();
    if (bad) throw new Error(`the base file fails the metadata check: ${formatGgufCheckError(bad)}`);
    return ctx;
  },
  teardown: (ctx) => ctx.remove(),
  properties: [
    {
      name: "a count, length, type tag, dim or offset lies",
      runs: 300,
      make: (ctx) => fuzzCase(fc.record({ field: fc.nat(), u64: interestingU64, u32: interestingU32 }), ({ field, u64, u32 }) => {
        const f = ctx.base.fields[field % ctx.base.fields.length];
        const bytes = f.width === 8 ? withU64(ctx.base.bytes, f.at, u64) : ctx.base.bytes.slice();
        if (f.width === 4) Buffer.from(bytes.buffer, bytes.byteOffset).writeUInt32LE(u32, f.at);
        return checkBytes(ctx, bytes);
      }),
    },
    {
      name: "byte mutations of a valid file",
      runs: 200,
      make: (ctx) => fuzzCase(mutatedBytes(ctx.base.bytes), (b) => checkBytes(ctx, b)),
    },
    {
      name: "arbitrary bytes, with and without the magic",
      runs: 100,
      make: (ctx) => fuzzCase(fc.tuple(fc.boolean(), fc.constantFrom(2, 3, 1, 4), fc.uint8Array({ maxLength: 300 })), ([magic, version, rest]) => {
        const head = magic ? Uint8Array.from([0x47, 0x47, 0x55, 0x46, version, 0, 0, 0]) : new Uint8Array(0);
        return checkBytes(ctx, Uint8Array.from([...head, ...rest]));
      }),
    },
    {
      name: "random headers (any type codes, dims, offsets)",
      runs: 200,
      make: (ctx) => fuzzCase(
        fc.record({
          kv: fc.array(fc.tuple(fc.constantFrom("general.alignment", "general.architecture", "tokenizer.ggml.tokens", "llama.block_count", "k"), rawValue), { maxLength: 5 }),
          tensors: fc.array(rawTensor, { maxLength: 4 }), version: fc.constantFrom(2, 3), data: fc.uint8Array({ maxLength: 128 }),
        }),
        ({ kv, tensors, version, data }) => checkBytes(ctx, Uint8Array.from([...ggufHeader(kv, tensors, { version }).bytes(), ...data])),
      ),
    },
    {
      name: "huge claims that a sparse file backs are refused before allocating",
      runs: 12,
      make: (ctx) => fuzzCase(
        fc.record({ kind: fc.constantFrom("tensor", "string", "array"), log2: fc.integer({ min: 31, max: 34 }), type: fc.constantFrom(0, 1, 28, 30) }),
        async ({ kind, log2, type }) => {
          const n = 2 ** log2;
          if (kind === "tensor") {
            const head = ggufHeader([], [{ name: "big", dims: [BigInt(n), 2n], type, offset: 0n }]).bytes();
            const bytesPer = { 0: 4, 1: 2, 28: 8, 30: 2 }[type]!;
            return readAll(await sparse(ctx, head, head.length + 2 * n * bytesPer));
          }
          // a metadata string or array whose length the file's size allows
          const value: RawValue = kind === "string" ? { type: 8, text: "" } : { type: 9, itemType: 0, items: [], count: BigInt(n) };
          const g = ggufHeader([["big", value]], []);
          const bytes = kind === "string" ? withU64(g.bytes(), g.fields.find((f) => f.what === '"big" length')!.at, BigInt(n)) : g.bytes();
          return readAll(await sparse(ctx, bytes, bytes.length + n + 64));
        },
      ),
    },
  ],
};
