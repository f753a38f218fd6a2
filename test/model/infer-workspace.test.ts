/**
 * inferForward's reused work buffers (src/model/infer-workspace.ts): a run of calls of
 * every kind gives the logits, bit for bit, of the same calls each made with fresh
 * buffers, even with the buffers filled with NaN between calls and with an onHidden
 * callback that runs the model again; and the workspace keeps its memory bounded.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { createTsKernels, loadKernels, type Kernels } from "../../src/tensor/index.js";
import { KvCache, Llama, inferForward, type ModelConfig, type Segment } from "../../src/model/index.js";
import { InferWorkspace, inferShapeFloats, inferWorkspace, type InferShape } from "../../src/model/infer-workspace.js";

const config: ModelConfig = {
  vocabSize: 29, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 40,
  contextLength: 64, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

function model(k: Kernels): Llama<Float32Array> {
  const m = Llama.f32(config, k);
  m.initialize(createRng(11), 0.3);
  return m;
}

function tokens(n: number, seed: number): Int32Array {
  const r = createRng(seed);
  return Int32Array.from({ length: n }, () => r.int(config.vocabSize));
}

/** One call: per segment, which sequence (cache), how many new tokens, which logits. */
type Call = { seq: number; n: number; logits: Segment["logits"]; embeds?: boolean }[];

const calls: Call[] = [
  [{ seq: 0, n: 9, logits: "all" }, { seq: 1, n: 3, logits: "last" }, { seq: 2, n: 20, logits: "none" }], // prefill, long and short
  [{ seq: 0, n: 1, logits: "last" }, { seq: 1, n: 1, logits: "last" }, { seq: 2, n: 1, logits: "last" }], // decoding
  [{ seq: 0, n: 1, logits: "last" }, { seq: 1, n: 1, logits: "last" }, { seq: 2, n: 1, logits: "last" }],
  [{ seq: 1, n: 1, logits: "last" }, { seq: 3, n: 30, logits: "all" }, { seq: 0, n: 2, logits: "all" }], // grows
  [{ seq: 2, n: 1, logits: "last" }], // N = 1
  [{ seq: 4, n: 5, logits: "all", embeds: true }, { seq: 0, n: 8, logits: "last" }],
  [{ seq: 0, n: 1, logits: "last" }, { seq: 1, n: 1, logits: "last" }, { seq: 2, n: 1, logits: "last" }, { seq: 3, n: 1, logits: "last" }],
];

function segments(m: Llama<Float32Array>, caches: KvCache[], call: Call, seed: number): Segment[] {
  return call.map(({ seq, n, logits, embeds }, i) => {
    const t = tokens(n, seed * 100 + i);
    if (!embeds) return { cache: caches[seq], tokens: t, logits };
    const C = config.dim, e = new Float32Array(n * C);
    t.forEach((id, r) => e.set(m.params.embed.subarray(id * C, (id + 1) * C), r * C));
    return { cache: caches[seq], tokens: null, embeds: e, logits };
  });
}

const nested: Call = [{ seq: 0, n: 6, logits: "all" }, { seq: 1, n: 1, logits: "last" }];

/**
 * Runs `calls` on `m`, with a nested call on fresh caches from onHidden at layer
 * `reenterAt` of call 3. Returns every logit and hidden state.
 */
function runAll(m: Llama<Float32Array>, poison: boolean, reenterAt: number | null): Float32Array[] {
  const caches = Array.from({ length: 5 }, () => new KvCache(config));
  const seen: Float32Array[] = [];
  calls.forEach((call, c) => {
    if (poison) inferWorkspace(m).fill(NaN);
    const onHidden = (layer: number, h: Float32Array) => {
      seen.push(h.slice());
      if (c === 3 && layer === reenterAt) {
        const inner = Array.from({ length: 2 }, () => new KvCache(config));
        const before = h.slice();
        seen.push(...inferForward(m, segments(m, inner, nested, 99), { onHidden: (_, g) => seen.push(g.slice()) }));
        expect(h).toEqual(before); // the nested call left the outer buffers alone
      }
    };
    seen.push(...inferForward(m, segments(m, caches, call, c), { onHidden }));
  });
  return seen;
}

function bits(xs: Float32Array[]): Uint32Array[] {
  return xs.map((x) => new Uint32Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength)));
}

/** The ts reference and whichever of native and wasm start here. */
async function kernelSets(): Promise<Kernels[]> {
  const sets = [createTsKernels()];
  for (const name of ["native", "wasm"] as const) {
    const loaded = await loadKernels(name).catch(() => null);
    if (loaded) sets.push(loaded.kernels);
  }
  return sets;
}

describe("inferForward with reused work buffers", async () => {
  for (const k of await kernelSets()) {
    it(`${k.name}: every call gives the bits of a call with fresh buffers (NaN-filled between calls, re-entered)`, () => {
      for (const reenterAt of [null, -1, 1]) {
        // reference: a model whose workspace is held busy, so every call (nested ones too) gets fresh, zeroed buffers
        const ref = model(k);
        inferWorkspace(ref).acquire({ N: 1, C: 1, qD: 1, kD: 1, F: 1, att: 0, head: 0 });
        const reference = runAll(ref, false, reenterAt);
        const m = model(k);
        const reused = runAll(m, true, reenterAt);
        expect(reused.length).toBe(reference.length);
        expect(bits(reused)).toEqual(bits(reference));
        expect(reused.every((x) => x.every(Number.isFinite))).toBe(true);
      }
    });
  }

  it("reuses one buffer across calls, also after a call that threw; a nested call gets its own", () => {
    const m = model(createTsKernels());
    const buffers: ArrayBufferLike[] = [];
    const call = (onHidden?: (l: number, h: Float32Array) => void) =>
      inferForward(m, [{ cache: new KvCache(config), tokens: tokens(4, 1), logits: "last" }], { onHidden });
    call((l, h) => l === -1 && buffers.push(h.buffer));
    expect(() => call(() => {
      throw new Error("callback failed");
    })).toThrow(/callback failed/);
    call((l, h) => {
      if (l !== -1) return;
      buffers.push(h.buffer);
      call((l2, h2) => l2 === -1 && buffers.push(h2.buffer));
    });
    call((l, h) => l === -1 && buffers.push(h.buffer));
    expect(buffers).toHaveLength(4);
    expect(buffers[1]).toBe(buffers[0]);
    expect(buffers[2]).not.toBe(buffers[0]); // the nested call
    expect(buffers[3]).toBe(buffers[0]);
  });

  it("returns logits the next call does not overwrite", () => {
    const m = model(createTsKernels());
    const cache = new KvCache(config);
    const [a] = inferForward(m, [{ cache, tokens: tokens(5, 2), logits: "all" }]);
    const copy = a.slice();
    inferForward(m, [{ cache, tokens: tokens(5, 3), logits: "all" }]);
    expect(a).toEqual(copy);
  });
});

describe("InferWorkspace memory", () => {
  const shape = (N: number): InferShape => ({ N, C: 8, qD: 8, kD: 4, F: 12, att: 0, head: 1 });

  it("lays views out without overlap, each as long as the shape says", () => {
    const w = new InferWorkspace();
    const s: InferShape = { N: 5, C: 8, qD: 8, kD: 4, F: 12, att: 70, head: 3 };
    const b = w.acquire(s);
    const views = Object.entries(b) as [string, Float32Array | Int32Array][];
    const len: Record<string, number> = { x: 40, ln: 40, rstd: 5, q: 40, kk: 20, vv: 20, y: 40, branch: 40, gate: 60, up: 60, att: 70, h: 24, hRstd: 3, positions: 5, tokens: 5 };
    for (const [name, v] of views) expect(v.length, name).toBe(len[name]);
    const spans = views.map(([, v]) => [v.byteOffset, v.byteOffset + v.byteLength]).sort((p, q) => p[0] - q[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    expect(spans.at(-1)![1]).toBeLessThanOrEqual(inferShapeFloats(s) * 4);
    w.release(b);
    expect(w.acquire(s)).toBe(b); // same shape: the same views
  });

  it("keeps at most maxFloats; a larger call gets buffers that are not kept", () => {
    const w = new InferWorkspace({ maxFloats: inferShapeFloats(shape(10)) });
    const small = w.acquire(shape(10));
    w.release(small);
    const kept = w.retainedFloats;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(inferShapeFloats(shape(10)));
    const big = w.acquire(shape(100));
    expect(big.x.buffer).not.toBe(small.x.buffer);
    w.release(big);
    expect(w.retainedFloats).toBe(kept);
    const again = w.acquire(shape(10));
    expect(again.x.buffer).toBe(small.x.buffer);
    w.release(again);
  });

  it("is busy until released: a second acquire gets buffers of its own", () => {
    const w = new InferWorkspace();
    const a = w.acquire(shape(4));
    const b = w.acquire(shape(4));
    expect(b.x.buffer).not.toBe(a.x.buffer);
    w.release(b);
    const c = w.acquire(shape(4));
    expect(c.x.buffer).not.toBe(a.x.buffer); // still busy: only releasing a frees it
    w.release(c);
    w.release(a);
    expect(w.acquire(shape(4))).toBe(a);
  });

  it("drops a buffer over 4× what the last shrinkAfter calls needed", () => {
    const w = new InferWorkspace({ shrinkAfter: 8 });
    w.release(w.acquire(shape(1000)));
    const big = w.retainedFloats;
    for (let i = 0; i < 7; i++) w.release(w.acquire(shape(2)));
    expect(w.retainedFloats).toBe(big); // the window still holds the large call
    for (let i = 0; i < 8; i++) w.release(w.acquire(shape(2)));
    expect(w.retainedFloats).toBeLessThan(big / 4);
    expect(w.retainedFloats).toBeGreaterThanOrEqual(inferShapeFloats(shape(2)));
  });
});
