import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { dequantize, quantize, quantizable, QUANT_BLOCK_BYTES } from "../../src/formats/gguf/quant.js";
import { f16BitsToF32 } from "../../src/formats/dtype.js";
import { writeGguf } from "../../src/formats/index.js";
import { tempDir } from "./helpers.js";
import { join } from "node:path";

const block = fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: 32, maxLength: 32 });

describe("Q8_0 / Q4_0 blocks", () => {
  it("Q8_0: one block by hand (scale max|x| / 127, int8 round half away from zero)", () => {
    const x = Float32Array.from({ length: 32 }, (_, j) => j - 16); // -16 … 15
    const bytes = quantize(x, "Q8_0");
    expect(bytes.length).toBe(34);
    const view = new DataView(bytes.buffer);
    expect(f16BitsToF32(view.getUint16(0, true))).toBeCloseTo(16 / 127, 4);
    // x / d = (j − 16) · 127 / 16: −16 → −127, 0 → 0, 15 → 119.0625 → 119, 8 → 63.5 → 64 (away from zero)
    expect(view.getInt8(2)).toBe(-127);
    expect(view.getInt8(2 + 16)).toBe(0);
    expect(view.getInt8(2 + 31)).toBe(119);
    expect(view.getInt8(2 + 24)).toBe(64);
    expect(view.getInt8(2 + 8)).toBe(-64);
  });

  it("Q4_0: one block by hand (scale = the largest-magnitude value / −8, low nibble = value j, high = j + 16)", () => {
    const x = new Float32Array(32);
    x[0] = -8; // the largest magnitude, negative: d = 1, stored as q 0
    x[16] = 7; // q = 7 + 8 = 15
    x[1] = 0.4; // q = 8.9 → 8
    x[17] = -3; // q = 5
    const bytes = quantize(x, "Q4_0");
    expect(bytes.length).toBe(18);
    expect(f16BitsToF32(new DataView(bytes.buffer).getUint16(0, true))).toBe(1);
    expect(bytes[2]).toBe(0 | (15 << 4));
    expect(bytes[3]).toBe(8 | (5 << 4));
    expect(Array.from(dequantize(bytes, "Q4_0", new Float32Array(32))).slice(0, 2)).toEqual([-8, 0]);
  });

  it("round trip: each value within half a step of its block (a full step where Q4_0 clamps at 15)", () => {
    fc.assert(
      fc.property(block, (values) => {
        const x = Float32Array.from(values);
        const amax = Math.max(...x.map(Math.abs));
        fc.pre(amax > 1e-3); // below, the f16 scale leaves its normal range and rounds coarser than 0.2%
        for (const type of ["Q8_0", "Q4_0"] as const) {
          const back = dequantize(quantize(x, type), type, new Float32Array(32));
          const step = type === "Q8_0" ? amax / 127 : amax / 8;
          const bound = (type === "Q8_0" ? 0.5 : 1) * step * 1.002 + 1e-6; // 0.2%: the scale is stored as f16
          for (let j = 0; j < 32; j++) expect(Math.abs(back[j] - x[j])).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it("an all-zero block stores scale 0 and decodes to zeros", () => {
    for (const type of ["Q8_0", "Q4_0"] as const) {
      const bytes = quantize(new Float32Array(64), type);
      expect(bytes.length).toBe(2 * QUANT_BLOCK_BYTES[type]);
      expect(Array.from(dequantize(bytes, type, new Float32Array(64))).every((v) => v === 0)).toBe(true);
    }
  });

  it("refuses rows that are not whole blocks, naming the tensor", async () => {
    expect(quantizable([4, 96])).toBe(true);
    expect(quantizable([4, 100])).toBe(false);
    expect(quantizable([96])).toBe(false);
    const dir = await tempDir("gguf-quant");
    await expect(writeGguf(join(dir, "x.gguf"), { kv: [], tensors: [{ name: "w", shape: [2, 40], data: new Float32Array(80), type: "Q8_0" }] }))
      .rejects.toThrow(/tensor "w" has rows of 40 values; Q8_0 needs a multiple of 32/);
  });
});
