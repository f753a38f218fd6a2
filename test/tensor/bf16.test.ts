/**
 * The native kernels' optional bf16 products (native/gemm_bf16.c): operands rounded to
 * bfloat16 (round to nearest even), sums in float32.
 *
 * On a CPU with AVX512_BF16 each product is compared with a float64 reference computed
 * from the same bf16-rounded operands, so the bound is on the float32 sums alone:
 * |got − ref| ≤ 1e-6 · Σₖ |aᵢₖ bₖⱼ| (K ≤ 4096 terms; the measured worst is about 1e-7).
 * A packing mistake (a swapped pair, a wrong column, a missed tail) gives errors of the
 * size of the terms themselves. On a CPU without it, asking for bf16 must be refused with
 * an error that names the missing feature, and products stay float32.
 */
import { describe, expect, it } from "vitest";
import { mustStart } from "../helpers/required.js";
import { mulberry32 } from "../helpers/rng.js";
import { loadKernels, matmulReference, type MatmulArgs } from "../../src/tensor/index.js";
import { createNativeKernels, type NativeKernels } from "../../src/tensor/native.js";

/** createNativeKernels with FTLEDGER_MATMUL set to `value` for the call. */
async function startWith(value: string): Promise<Awaited<ReturnType<typeof createNativeKernels>>> {
  const before = process.env.FTLEDGER_MATMUL;
  process.env.FTLEDGER_MATMUL = value;
  try {
    return await createNativeKernels();
  } finally {
    if (before === undefined) delete process.env.FTLEDGER_MATMUL;
    else process.env.FTLEDGER_MATMUL = before;
  }
}

/** Every value rounded to bfloat16 (nearest even), as VCVTNE2PS2BF16 does (subnormals flush to 0). */
function bf16(x: Float32Array): Float64Array {
  const f = x.slice();
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < u.length; i++) {
    u[i] = (u[i] & 0x7f800000) === 0 ? u[i] & 0x80000000 : (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) & 0xffff0000;
  }
  return Float64Array.from(f);
}

const asIs = (x: Float32Array): Float64Array => Float64Array.from(x);

function uniform(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

interface Shape { M: number; N: number; K: number; transA: boolean; transB: boolean; accumulate: boolean; pad: number }

/** Operands with leading dimensions padded by `pad`, an output with garbage in its padding. */
function operands(s: Shape, seed: number): MatmulArgs<Float32Array> {
  const lda = (s.transA ? s.M : s.K) + s.pad, ldb = (s.transB ? s.K : s.N) + s.pad, ldc = s.N + s.pad;
  return {
    a: uniform((s.transA ? s.K : s.M) * lda, seed), b: uniform((s.transB ? s.N : s.K) * ldb, seed + 1), out: uniform(s.M * ldc, seed + 2),
    M: s.M, N: s.N, K: s.K, transA: s.transA, transB: s.transB, accumulate: s.accumulate, lda, ldb, ldc,
  };
}

/** Largest |got − want| / Σ|a b| over the output block, and whether the padding was left alone. */
function compare(got: Float32Array, before: Float32Array, m: MatmulArgs<Float32Array>, round: (x: Float32Array) => Float64Array): { err: number; padKept: boolean } {
  const { M, N, K, lda, ldb, ldc } = m as Required<MatmulArgs<Float32Array>>;
  const A = round(m.a), B = round(m.b);
  let err = 0;
  let padKept = true;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      if (j >= N) {
        padKept &&= got[i * ldc + j] === before[i * ldc + j];
        continue;
      }
      let sum = m.accumulate ? before[i * ldc + j] : 0;
      let mag = 1e-30;
      for (let k = 0; k < K; k++) {
        const a = m.transA ? A[k * lda + i] : A[i * lda + k];
        const b = m.transB ? B[j * ldb + k] : B[k * ldb + j];
        sum += a * b;
        mag += Math.abs(a * b);
      }
      err = Math.max(err, Math.abs(got[i * ldc + j] - sum) / mag);
    }
  }
  return { err, padKept };
}

let native: NativeKernels | string;
try {
  native = (await loadKernels("native")).kernels as NativeKernels;
} catch (e) {
  native = (e as Error).message;
}

describe("native bf16 products", () => {
  if (typeof native === "string") {
    const why = native;
    it(`native is unavailable on this machine (${why})`, () => expect(mustStart("native"), "native must start in this run").toBe(false));
    return;
  }
  const k = native;

  it("starts in float32 whatever the CPU", () => {
    expect(k.matmulPrecision()).toBe("f32");
    expect(() => k.setMatmulPrecision("f16" as never)).toThrow(/"f16" is not a precision; use "f32" or "bf16"/);
  });

  it("FTLEDGER_MATMUL: an unknown value is refused by name; bf16 starts bf16 where the CPU has it, else is refused", async () => {
    const bad = await startWith("fp8");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/FTLEDGER_MATMUL="fp8" is not a matmul precision; use f32 or bf16, or unset it/);
    const r = await startWith("bf16");
    try {
      if (k.bf16Supported) {
        expect(r.ok && (r.kernels as NativeKernels).matmulPrecision()).toBe("bf16");
      } else {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toMatch(/FTLEDGER_MATMUL=bf16 .* lacks AVX512_BF16.*unset FTLEDGER_MATMUL/);
      }
    } finally {
      k.setMatmulPrecision("f32"); // one addon per process: the setting is shared
    }
    const f = await startWith("f32");
    expect(f.ok && (f.kernels as NativeKernels).matmulPrecision()).toBe("f32");
  });

  if (!k.bf16Supported) {
    it("refuses bf16 on this CPU (no AVX512_BF16), naming the feature, and keeps float32", () => {
      expect(() => k.setMatmulPrecision("bf16")).toThrow(/this CPU lacks AVX512_BF16.*keep "f32"/);
      expect(k.matmulPrecision()).toBe("f32");
      expect(k.description).not.toMatch(/bf16/);
    });
    return;
  }

  const shapes: Shape[] = [];
  // the training shapes (forward, dx, dW) and edges: odd K, N off the 32-column tile,
  // M off the 8-row tile, the smallest M that takes this path (8), padded strides
  for (const [M, N, K] of [[512, 128, 128], [256, 96, 64], [32, 64, 4096], [9, 33, 3], [8, 5, 17], [37, 70, 65], [130, 31, 1]]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) shapes.push({ M, N, K, transA, transB, accumulate: (M + N + K) % 2 === 1, pad: M % 3 });
    }
  }
  shapes.push({ M: 4096, N: 128, K: 128, transA: false, transB: true, accumulate: true, pad: 0 });

  for (const [i, s] of shapes.entries()) {
    const title = `${s.M}×${s.N}×${s.K}${s.transA ? " Aᵀ" : ""}${s.transB ? " Bᵀ" : ""}${s.accumulate ? " +=" : ""}${s.pad ? ` ld+${s.pad}` : ""}`;
    it(`${title}: float32 sums of bf16-rounded operands`, () => {
      const m = operands(s, 100 + 3 * i);
      const before = m.out.slice();
      k.setMatmulPrecision("bf16");
      try {
        k.matmul(m);
      } finally {
        k.setMatmulPrecision("f32");
      }
      const { err, padKept } = compare(m.out, before, m, bf16);
      expect(err, `${title}: worst error relative to Σ|a·b|`).toBeLessThanOrEqual(1e-6);
      expect(padKept, `${title}: wrote into the output's row padding`).toBe(true);
    });
  }

  it("is really bf16 when on (rounding shows against float32) and float32 again when off", () => {
    const s: Shape = { M: 64, N: 64, K: 256, transA: false, transB: true, accumulate: false, pad: 0 };
    const m = operands(s, 7);
    const exact = m.out.slice();
    matmulReference({ ...m, out: exact });
    k.setMatmulPrecision("bf16");
    expect(k.matmulPrecision()).toBe("bf16");
    expect(k.description).toMatch(/bf16 GEMM/);
    k.matmul(m);
    k.setMatmulPrecision("f32");
    const asBf16 = compare(m.out, m.out, m, asIs).err; // against float32 operands
    expect(asBf16, "bf16 products should differ from float32 ones by bf16 rounding").toBeGreaterThan(1e-4);
    k.matmul(m);
    expect(compare(m.out, m.out, m, asIs).err, "float32 again after setMatmulPrecision(\"f32\")").toBeLessThanOrEqual(1e-6);
    expect(k.description).not.toMatch(/bf16/);
  });

  it("products below 8 rows stay float32 (OpenBLAS serves decoding shapes)", () => {
    const m = operands({ M: 7, N: 40, K: 64, transA: false, transB: true, accumulate: false, pad: 0 }, 9);
    k.setMatmulPrecision("bf16");
    k.matmul(m);
    k.setMatmulPrecision("f32");
    expect(compare(m.out, m.out, m, asIs).err).toBeLessThanOrEqual(1e-6);
  });

  it("gives bit-identical results on 1 and 2 threads", () => {
    const threads = k.threads();
    const shapesT: Shape[] = [
      { M: 1024, N: 256, K: 128, transA: false, transB: true, accumulate: false, pad: 0 },
      { M: 128, N: 128, K: 4096, transA: true, transB: false, accumulate: true, pad: 0 },
    ];
    for (const s of shapesT) {
      const outs = [1, 2].map((t) => {
        k.setThreads(t);
        const m = operands(s, 11);
        k.setMatmulPrecision("bf16");
        k.matmul(m);
        k.setMatmulPrecision("f32");
        return new Int32Array(m.out.buffer);
      });
      expect(outs[1].findIndex((x, i) => x !== outs[0][i]), `${s.M}×${s.N}×${s.K}`).toBe(-1);
    }
    k.setThreads(threads);
  });
});
