/**
 * The optimiser's frozen-parameter mask (CPI-FT's frozen core regions, src/train/adamw.ts): on
 * every kernel set that starts, frozen elements keep their value and both moments bit for bit
 * over several updates, and every other element gets exactly the unmasked update. Then the
 * trainer: `frozen` leaves those weights untouched and keeps them out of the clipping norm.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, decayMask, type ModelConfig } from "../../src/model/index.js";
import { createTsKernels, loadKernels, type Kernels, type KernelsName } from "../../src/tensor/index.js";
import { adamwStep, createAdamwState, frozenIndices, toyCorpus, train, windowBatches } from "../../src/train/index.js";
import { mustStart } from "../helpers/required.js";
import { mulberry32 } from "../helpers/rng.js";

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

async function available(name: KernelsName): Promise<Kernels | string> {
  try {
    return (await loadKernels(name)).kernels;
  } catch (e) {
    return (e as Error).message;
  }
}

function filled(k: Kernels, n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = k.alloc(n);
  for (let i = 0; i < n; i++) out[i] = 2 * r() - 1;
  return out;
}

for (const name of ["ts", "wasm", "native"] as const) {
  describe(`adamw with a frozen mask: ${name} kernels`, async () => {
    const k = await available(name);
    if (typeof k === "string") {
      it(`${name} is unavailable on this machine`, () => expect(mustStart(name), `${name} must start in this run: ${k}`).toBe(false));
      return;
    }
    it("frozen elements are bit-identical after 5 updates; the others match the unmasked update", () => {
      const n = 1037; // not a multiple of any vector width
      const r = mulberry32(7);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) mask[i] = r() < 0.1 ? 1 : 0;
      mask[0] = 1;
      mask[n - 1] = 1;
      const decay = new Uint8Array(n).map((_, i) => i % 3 === 0 ? 0 : 1);
      const frozen = frozenIndices(mask, n);
      const start = filled(k, n, 1);
      const runs = [undefined, frozen].map((f) => {
        const params = k.alloc(n);
        params.set(start);
        const state = createAdamwState(k, n);
        for (let s = 0; s < 5; s++) {
          const grads = filled(k, n, 100 + s);
          adamwStep({ kernels: k, params, grads, state, decayMask: decay, lr: 1e-2, gradScale: 0.5, frozen: f });
        }
        return { params, state };
      });
      const [free, masked] = runs;
      let changed = 0;
      for (let i = 0; i < n; i++) {
        if (mask[i]) {
          expect(Object.is(masked.params[i], start[i]), `param ${i}`).toBe(true);
          expect(masked.state.m[i]).toBe(0);
          expect(masked.state.v[i]).toBe(0);
          if (free.params[i] !== start[i]) changed++;
        } else {
          expect(Object.is(masked.params[i], free.params[i]), `param ${i}`).toBe(true);
          expect(Object.is(masked.state.m[i], free.state.m[i])).toBe(true);
          expect(Object.is(masked.state.v[i], free.state.v[i])).toBe(true);
        }
      }
      // the unmasked update does move the frozen elements (so the check above can fail)
      expect(changed).toBe(frozen.length);
      expect(masked.state.step).toBe(5);
    });
  });
}

describe("frozenIndices", () => {
  it("lists the nonzero bytes in order and names a length mismatch", () => {
    expect([...frozenIndices(Uint8Array.from([0, 1, 0, 2, 1]), 5)]).toEqual([1, 3, 4]);
    expect(() => frozenIndices(new Uint8Array(3), 4)).toThrow(/3 elements, the model has 4 parameters/);
  });
});

describe("train with frozen", () => {
  const tok = new CharTokenizer();
  const config: ModelConfig = {
    vocabSize: tok.size, dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 32,
    contextLength: 32, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
  };
  async function run(frozen?: Uint8Array) {
    const model = Llama.f32(config, createTsKernels());
    model.initialize(createRng(3));
    const start = Float32Array.from(model.params.flat);
    const data = windowBatches(Int32Array.from(tok.encode(toyCorpus(200, createRng(4)))), 4, 32, 5);
    const r = await train(model, data, { steps: 6, schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 1, totalSteps: 6 }, frozen });
    if (!r.ok) throw new Error(r.error.message);
    return { start, end: model.params.flat, losses: r.losses };
  }

  it("leaves every frozen weight as it was, trains the rest, and still lowers the loss", async () => {
    const free = await run();
    const n = free.start.length;
    const mask = new Uint8Array(n);
    const r = mulberry32(9);
    for (let i = 0; i < n; i++) mask[i] = r() < 0.3 ? 1 : 0;
    // the model has decay-free elements (norm weights) as well as decayed ones: both kinds get frozen
    expect(decayMask(config).some((d) => d === 0)).toBe(true);
    const masked = await run(mask);
    let movedFree = 0, movedTrained = 0;
    for (let i = 0; i < n; i++) {
      if (mask[i]) {
        expect(Object.is(masked.end[i], masked.start[i]), `frozen ${i}`).toBe(true);
        if (free.end[i] !== free.start[i]) movedFree++;
      } else if (masked.end[i] !== masked.start[i]) movedTrained++;
    }
    expect(movedFree).toBeGreaterThan(0.9 * frozenIndices(mask, n).length);
    expect(movedTrained).toBeGreaterThan(0.9 * (n - frozenIndices(mask, n).length));
    expect(masked.losses.at(-1)!).toBeLessThan(masked.losses[0]);
    // the first update's loss is the same (same weights); its clipping norm is not (frozen gradients left out)
    expect(masked.losses[0]).toBe(free.losses[0]);
    expect(bits(masked.end).equals(bits(free.end))).toBe(false);
  });

  it("refuses a mask of the wrong length", async () => {
    await expect(run(new Uint8Array(5))).rejects.toThrow(/frozen mask has 5 elements/);
  });
});
