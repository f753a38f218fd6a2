/**
 * Malformed GGUF files give a clear error naming the file and the problem, and the
 * test process survives: whatever llama.cpp does to them happens in the child process
 * that `openGgufModel` validates with (./src/backends/llamacpp/child.ts).
 */
import { readFile, truncate, writeFile, copyFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatGgufCheckError, GgufLoadError, openGgufModel } from "../../../src/backends/llamacpp/index.js";
import { loadInChild } from "../../../src/backends/llamacpp/child.js";
import { llamaGgufContent, openGguf, writeGguf, type GgufValue } from "../../../src/formats/index.js";
import { createRng } from "../../../src/random/index.js";
import { tempDir } from "../../formats/helpers.js";
import { config, engineModel, exportModel, tok } from "./helpers.js";

const dir = await tempDir("llamacpp-malformed");
let valid: string;

beforeAll(async () => {
  valid = await exportModel(engineModel(3), dir, "valid");
});

/** The model's GGUF content with one metadata key removed (or replaced). */
async function rewrite(name: string, edit: (kv: [string, GgufValue][]) => [string, GgufValue][]): Promise<string> {
  const model = engineModel(3);
  const content = llamaGgufContent({ config, params: model.params.flat, tokenizer: tok }, { dtype: "f32", name });
  const out = join(dir, `${name}.gguf`);
  await writeGguf(out, { kv: edit(content.kv), tensors: content.tensors });
  return out;
}

async function openError(path: string): Promise<GgufLoadError> {
  const e = await openGgufModel(path, { contextSize: 64, parallel: 1 }).then(
    async (m) => {
      await m.close();
      throw new Error(`expected ${path} to be refused, it opened`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GgufLoadError);
  return e as GgufLoadError;
}

describe("openGgufModel refuses malformed GGUF files with a clear error", () => {
  it("truncated: names the tensor, the byte it needs and the file size", async () => {
    const path = join(dir, "truncated.gguf");
    await copyFile(valid, path);
    const size = (await stat(path)).size;
    await truncate(path, size - 1000);
    const e = await openError(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(new RegExp(`truncated: tensor "[\\w.]+" data ends at byte ${size} but the file has ${size - 1000} bytes`));
    // cut inside the header too
    await truncate(path, 600);
    expect((await openError(path)).message).toMatch(/truncated: the header \(metadata .*\) ends at byte \d+ but the file has 600 bytes/);
  });

  for (const key of ["llama.block_count", "general.architecture", "tokenizer.ggml.tokens", "llama.attention.head_count"]) {
    it(`missing metadata key ${key}`, async () => {
      const path = await rewrite(`no-${key}`, (kv) => kv.filter(([k]) => k !== key));
      const e = await openError(path);
      expect(e.message).toContain(path);
      expect(e.message).toContain(`missing metadata key ${key}`);
    });
  }

  it("a tokenizer model of \"none\" (which aborts llama.cpp) is refused before loading", async () => {
    const path = await rewrite("tok-none", (kv) => kv.map(([k, v]): [string, GgufValue] => [k, k === "tokenizer.ggml.model" ? { type: "string", value: "none" } : v]));
    expect((await openError(path)).message).toMatch(/tokenizer\.ggml\.model: "none"/);
  });

  it("a process-aborting file (tokenizer \"none\", header check bypassed) kills only the child; the error names the signal", async () => {
    const path = await rewrite("tok-none-raw", (kv) => kv.map(([k, v]): [string, GgufValue] => [k, k === "tokenizer.ggml.model" ? { type: "string", value: "none" } : v]));
    const outcome = await loadInChild(path);
    expect(outcome.ok).toBe(false);
    const message = formatGgufCheckError({ code: "load_failed", file: path, outcome: outcome as Exclude<typeof outcome, { ok: true }> });
    console.log(`llama.cpp abort, as reported:\n${message}`);
    expect(message).toContain(path);
    expect(message).toContain("llama.cpp aborted while loading the model (signal SIGABRT)");
  });

  it("random bytes", async () => {
    const path = join(dir, "random.gguf");
    const rng = createRng(5);
    await writeFile(path, Uint8Array.from({ length: 4096 }, () => rng.int(256)));
    const e = await openError(path);
    expect(e.message).toContain(path);
    expect(e.message).toContain(`does not start with "GGUF"`);
  });

  it("zero-length file", async () => {
    const path = join(dir, "empty.gguf");
    await writeFile(path, new Uint8Array(0));
    expect((await openError(path)).message).toBe(`${path}: the file is empty (0 bytes), not a GGUF model. Re-download or re-export the file (for an ftledger checkpoint: \`ftledger export gguf CKPT OUT.gguf\`).`);
  });

  it("a file that passes the header check but makes llama.cpp fail is caught in the child, and this process lives on", async () => {
    // a tensor with the wrong shape: our reader's bounds checks pass, llama.cpp's loader refuses it
    const model = engineModel(3);
    const content = llamaGgufContent({ config, params: model.params.flat, tokenizer: tok }, { dtype: "f32", name: "bad-shape" });
    const t = content.tensors.find((x) => x.name === "blk.0.attn_q.weight")!;
    t.shape = [t.shape[1], t.shape[0] / 2];
    t.data = t.data.subarray(0, t.data.length / 2);
    const path = join(dir, "bad-shape.gguf");
    await writeGguf(path, content);
    expect((await openGguf(path)).ok).toBe(true);
    const e = await openError(path);
    console.log(`llama.cpp load failure, as reported:\n${e.message}`);
    expect(e.detail.code).toBe("load_failed");
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/llama\.cpp (refused the file|aborted) while loading the model/);
    // still alive, and the valid file opens
    const m = await openGgufModel(valid, { contextSize: 64, parallel: 1 });
    expect((await m.score({ prompt: "ab", continuation: "c" })).tokens).toHaveLength(1);
    await m.close();
  });

  it("a missing file", async () => {
    const path = join(dir, "nope.gguf");
    expect((await openError(path)).message).toContain(`${path}: not found`);
    expect(await readFile(valid).then((b) => b.length)).toBeGreaterThan(0);
  });
});
