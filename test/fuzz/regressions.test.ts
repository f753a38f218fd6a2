/**
 * The bugs the parser fuzz properties found, each kept as one named example that fails
 * without its fix (the properties themselves are in ./*.props.ts).
 */
import { mkdir, open, readFile, symlink, writeFile, copyFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, openGguf, openSafetensors, type FormatError, type Result } from "../../src/formats/index.js";
import { readAt } from "../../src/formats/io.js";
import { loadFolderTokenizer } from "../../src/backends/builtin/hf-tokenizer.js";
import { parseGateRule } from "../../src/audit/index.js";
import { ggufHeader } from "./gguf-bytes.js";
import { tempDir, withU64 } from "./helpers.js";
import { encodeSafetensors } from "./safetensors.props.js";

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir("regressions")));
afterAll(() => remove());

function errorOf<T>(r: Result<T>): FormatError {
  if (r.ok) throw new Error("expected an error");
  return r.error;
}

async function safetensorsFile(name: string, header: unknown, data = new Uint8Array(0)): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, encodeSafetensors(header, data));
  return path;
}

/** `bytes`, then a hole up to `size` bytes: a file that large on no disk. */
async function sparseFile(name: string, bytes: Uint8Array, size: number): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const fh = await open(path, "r+");
  await fh.truncate(size);
  await fh.close();
  return path;
}

describe("safetensors header", () => {
  it("data_offsets that are not numbers are a bad header naming them, not offsets [NaN, 72]", async () => {
    const e = errorOf(await openSafetensors(await safetensorsFile("offs.safetensors", { w: { dtype: "I64", shape: [2], data_offsets: ["F32", 72] } })));
    expect(e).toMatchObject({ code: "bad_header", tensor: "w" });
    expect((e as { message: string }).message).toContain('["F32",72]');
  });

  it("a dtype named like an Object.prototype member is an unknown dtype, not NaN bytes", async () => {
    for (const dtype of ["__proto__", "constructor", "toString"]) {
      const e = errorOf(await openSafetensors(await safetensorsFile("proto.safetensors", { w: { dtype, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))));
      expect(e).toMatchObject({ code: "unknown_dtype", dtype });
    }
  });

  it("a zero after huge dimensions is an empty tensor; a product past 2^53 bytes is a bad header", async () => {
    const empty = [...Array(24).fill(2 ** 52), 0];
    const src = await openSafetensors(await safetensorsFile("zero.safetensors", { w: { dtype: "F32", shape: empty, data_offsets: [0, 0] } }));
    expect(src.ok && src.value.info("w")?.shape).toEqual(empty);
    if (src.ok) await src.value.close();
    const e = errorOf(await openSafetensors(await safetensorsFile("inf.safetensors", { w: { dtype: "F32", shape: Array(24).fill(2 ** 52), data_offsets: [0, 0] } })));
    expect(e).toMatchObject({ code: "bad_header", tensor: "w" });
  });

  it("a tensor larger than one typed array, in a file that large, is tensor_too_large from readTensor (was: a RangeError)", async () => {
    const n = 2 ** 32 + 8;
    const header = encodeSafetensors({ big: { dtype: "F16", shape: [n], data_offsets: [0, 2 * n] } }, new Uint8Array(0));
    const src = await openSafetensors(await sparseFile("big.safetensors", header, header.length + 2 * n));
    if (!src.ok) throw new Error(src.error.code);
    expect(errorOf(await src.value.readTensor("big"))).toMatchObject({ code: "tensor_too_large", tensor: "big", elements: n });
    await src.value.close();
  });
});

describe("positioned reads", () => {
  it("never ask Node for 2 GiB or more at once (one such read aborts the process)", async () => {
    const lengths: number[] = [];
    const fh = { read: async (_b: Uint8Array, _o: number, length: number) => (lengths.push(length), { bytesRead: length }) } as unknown as FileHandle;
    const out = new Uint8Array(2 ** 31 + 5); // never written: the fake read only counts
    expect(await readAt(fh, out, 0)).toBe(out.length);
    expect(Math.max(...lengths)).toBeLessThan(2 ** 31);
  });
});

describe("GGUF header", () => {
  it("a metadata string of 2 GiB in a file that large is refused at the header limit (was: a 2 GiB read that aborted the process)", async () => {
    const g = ggufHeader([["big", { type: 8, text: "" }]], []);
    const at = g.fields.find((f) => f.what === '"big" length')!.at;
    const bytes = withU64(g.bytes(), at, 2n ** 31n);
    const e = errorOf(await openGguf(await sparseFile("long.gguf", bytes, 2 ** 31 + 64)));
    expect(e).toMatchObject({ code: "bad_header" });
    expect((e as { message: string }).message).toMatch(/more than the 100000000-byte limit/);
  });

  it("a length past the end of the file is truncated without reading the file (was: a buffer of the whole file)", async () => {
    const g = ggufHeader([["big", { type: 8, text: "" }]], []);
    const at = g.fields.find((f) => f.what === '"big" length')!.at;
    const e = errorOf(await openGguf(await sparseFile("past.gguf", withU64(g.bytes(), at, 2n ** 40n), 2 ** 33)));
    expect(e).toMatchObject({ code: "truncated", fileSize: 2 ** 33 });
  });

  it("a tensor larger than one typed array, in a file that large, is tensor_too_large from readTensor", async () => {
    const n = 2 ** 32 + 32;
    const head = ggufHeader([], [{ name: "big", dims: [BigInt(n)], type: 1, offset: 0n }]).bytes();
    const f = await openGguf(await sparseFile("big.gguf", head, head.length + 2 * n));
    if (!f.ok) throw new Error(f.error.code);
    expect(errorOf(await f.value.readTensor("big"))).toMatchObject({ code: "tensor_too_large", elements: n });
    await f.value.close();
  });
});

describe("HF model folders", () => {
  const zoo = resolve("zoo/base-s");
  async function folder(name: string, change: Record<string, (json: Record<string, unknown>) => Record<string, unknown>>): Promise<string> {
    const d = join(dir, name);
    await mkdir(d);
    await symlink(join(zoo, "model.safetensors"), join(d, "model.safetensors"));
    for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]) {
      if (!change[f]) await copyFile(join(zoo, f), join(d, f));
      else await writeFile(join(d, f), JSON.stringify(change[f](JSON.parse(await readFile(join(zoo, f), "utf8")))));
    }
    return d;
  }

  it("num_hidden_layers past the weights' tensor count is bad_config at once (was: a parameter table of 2^53 entries)", async () => {
    const d = await folder("layers", { "config.json": (c) => ({ ...c, num_hidden_layers: 2 ** 53 - 1 }) });
    expect(errorOf(await loadCheckpoint(d))).toMatchObject({ code: "bad_config", field: "num_hidden_layers" });
  });

  it("a chat_template that does not parse is an Error naming tokenizer_config.json (was: a bare TypeError)", async () => {
    const d = await folder("template", { "tokenizer_config.json": (c) => ({ ...c, chat_template: "{% for m in messages %}" }) });
    const e = await loadFolderTokenizer(d).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).constructor).toBe(Error);
    expect((e as Error).message).toContain(join(d, "tokenizer_config.json"));
  });

  it("a vocab id that is not a non-negative integer is refused at load (was: encode returned \"BPE\" as a token id)", async () => {
    const d = await folder("vocab", { "tokenizer.json": (t) => ({ ...t, model: { ...(t.model as object), vocab: { ...((t.model as { vocab: object }).vocab), t: "BPE" } } }) });
    const e = await loadFolderTokenizer(d).catch((x: unknown) => x);
    expect((e as Error).message).toContain(`${join(d, "tokenizer.json")}: model.vocab gives token "t" the id "BPE"`);
  });

  it("a vocab id of 10^9 is refused at load (was: 70 s building a billion-slot array)", async () => {
    const d = await folder("bigid", { "tokenizer.json": (t) => ({ ...t, model: { ...(t.model as object), vocab: { ...((t.model as { vocab: object }).vocab), "5": 1e9 } } }) });
    const e = await loadFolderTokenizer(d).catch((x: unknown) => x);
    expect((e as Error).message).toContain('model.vocab gives token "5" the id 1000000000, not an integer from 0 to 16777215');
  });

  it("a template that raises names its file", async () => {
    const d = await folder("raises", { "tokenizer_config.json": (c) => ({ ...c, chat_template: "{{ raise_exception('roles must alternate') }}" }) });
    const tok = await loadFolderTokenizer(d);
    expect(() => tok.applyChatTemplate([{ role: "user", content: "hi" }])).toThrow(`${join(d, "tokenizer_config.json")}: the chat_template failed on these messages (roles must alternate)`);
  });
});

describe("--fail-on rules", () => {
  it("a threshold that overflows to Infinity is refused", () => {
    const r = parseGateRule("capability.*<1e999");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/not a finite number/);
  });

  it("selectors match in linear time: runs of *, and stars between letters (a RegExp backtracked for minutes)", () => {
    const r = parseGateRule(`lost:capability.${"*".repeat(16)}x`);
    if (!r.ok || r.value.kind !== "lost") throw new Error("expected a lost rule");
    expect(r.value.selector.test("capability.task.accuracy.accuracy")).toBe(false);
    expect(r.value.selector.test("capability.task.x")).toBe(true);
    const s = parseGateRule(`lost:*.${"a*".repeat(12)}b`);
    if (!s.ok || s.value.kind !== "lost") throw new Error("expected a lost rule");
    expect(s.value.selector.test(`capability.${"a".repeat(60)}`)).toBe(false); // 6 s at 40 characters as a RegExp
    expect(s.value.selector.test(`capability.${"a".repeat(60)}b`)).toBe(true);
  });

  it("a selector of 55,000 characters parses and matches (no pattern to compile)", () => {
    const long = `capability.${"capability.".repeat(5000)}`;
    const r = parseGateRule(`lost:${long}`);
    if (!r.ok || r.value.kind !== "lost") throw new Error("expected a lost rule");
    expect(r.value.selector.test(long)).toBe(true);
    expect(r.value.selector.test(long + "x")).toBe(false);
  });
});
