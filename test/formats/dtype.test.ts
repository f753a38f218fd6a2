/**
 * float16 / bfloat16 conversions, checked against numpy's float32 → float16 cast
 * (test/fixtures/formats/f16-numpy.json, made by make_f16_fixture.py).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from "../../src/formats/index.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/formats/f16-numpy.json", import.meta.url), "utf8")) as {
  f32_bits: number[];
  f16_bits: number[];
};
const fromBits = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0];

describe("float16", () => {
  it("rounds float32 exactly as numpy does (ties to even, subnormals, overflow)", () => {
    const bad: string[] = [];
    fixture.f32_bits.forEach((b, i) => {
      const got = f32ToF16Bits(fromBits(b));
      if (got !== fixture.f16_bits[i]) bad.push(`#${i} f32 0x${b.toString(16)}: got 0x${got.toString(16)}, numpy 0x${fixture.f16_bits[i].toString(16)}`);
    });
    expect(bad).toEqual([]);
    expect(fixture.f32_bits.length).toBeGreaterThan(250);
  });

  it("decodes every half value and re-encodes it to the same bits", () => {
    for (let h = 0; h < 65536; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) {
        expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
        continue;
      }
      expect(f32ToF16Bits(v)).toBe(h);
    }
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0xfbff)).toBe(-65504);
  });
});

describe("bfloat16", () => {
  it("keeps the upper half of float32, rounding to nearest even", () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(fromBits(0x3f808000))).toBe(0x3f80); // tie → even
    expect(f32ToBf16Bits(fromBits(0x3f818000))).toBe(0x3f82); // tie → even
    expect(f32ToBf16Bits(fromBits(0x3f808001))).toBe(0x3f81);
    expect(f32ToBf16Bits(-Infinity)).toBe(0xff80);
    expect(f32ToBf16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
  });
});
