/**
 * AssemblyScript source of the `wasm` backend's matmul (compiled by scripts/build-wasm.mjs
 * to build/wasm/kernels.wasm; NOT part of the TypeScript program, see tsconfig "exclude").
 *
 *   C (M×N) = op(A) (M×K) · op(B) (K×N)   (or +=), all f32, row-major
 *
 * The structure is the GotoBLAS/BLIS loop nest (Goto & van de Geijn 2008, "Anatomy of
 * high-performance matrix multiplication"; Van Zee & van de Geijn 2015, "BLIS"):
 *
 *   1. for each KC-deep slice of K: pack op(B)[pc:pc+kc, :] into NR-wide column panels
 *   2.   for each MC-tall block of rows: pack op(A)[ic:ic+mc, pc:pc+kc] into MR-tall panels
 *   3.     for each (NR panel, MR panel): the micro-kernel keeps an MR×NR tile of C in
 *          f32x4 registers and streams both panels with unit stride
 *
 * Packing is also where transposes disappear: op(A)(i, k) = a[i*aRow + k*aCol] and
 * op(B)(k, j) = b[k*bRow + j*bCol] are read with whatever strides the caller has, and the
 * micro-kernel only ever sees contiguous panels. Panels are zero-padded to MR / NR, so
 * edge tiles run the same kernel into a small scratch tile that is then clipped into C.
 *
 * Pointers are byte offsets into the (imported, shared) linear memory; strides are in
 * elements. The caller owns all memory: `scratch` must point to scratchBytes() bytes
 * that no other thread uses during the call.
 *
 * NOTE: Node 20's V8 has no relaxed-SIMD FMA by default, so the kernel uses mul + add.
 */

// Micro-tile: MR rows × NR columns of C = MR × (NR/4) f32x4 accumulators. 4×8 uses 8
// accumulators + 2 B vectors + 1 A broadcast, which fits x86-64's 16 XMM registers.
// Measured on Node 20 / V8 11.3 (AMD EPYC): 4×8 ≈ 42 GFLOP/s on one thread, while 5×8,
// 6×8 and 2×16 (register spills) and 4×8 unrolled over k by 2 were 20–35% slower.
const MR: i32 = 4;
const NR: i32 = 8;
// Cache blocking: a KC×NR panel of B (8 KiB) stays in L1 while MR×KC panels of A (from
// an MC×KC block, 96 KiB) stream from L2. NC bounds the packed B block (1 MiB).
const KC: i32 = 256;
const MC: i32 = 96;
const NC: i32 = 1024;

const PACK_A_BYTES: usize = <usize>(MC * KC * 4);
const PACK_B_BYTES: usize = <usize>(KC * NC * 4);
const TILE_BYTES: usize = <usize>(MR * NR * 4);

/** Bytes of per-thread scratch that matmul needs (packed A, packed B, one edge tile). */
export function scratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

/** First byte of linear memory not used by this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * C = op(A)·op(B) (accumulate = 0) or C += op(A)·op(B) (accumulate = 1).
 * op(A)(i, k) = A[i*aRow + k*aCol]; op(B)(k, j) = B[k*bRow + j*bCol]; C(i, j) = C[i*ldc + j].
 */
export function matmul(
  c: usize, a: usize, b: usize, M: i32, N: i32, K: i32,
  aRow: i32, aCol: i32, bRow: i32, bCol: i32, ldc: i32, accumulate: i32, scratch: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    // an empty sum: C = 0, or C unchanged when accumulating
    if (!accumulate) for (let i = 0; i < M; i++) memory.fill(c + <usize>(i * ldc) * 4, 0, <usize>N * 4);
    return;
  }
  const packA = scratch;
  const packB = scratch + PACK_A_BYTES;
  const tile = packB + PACK_B_BYTES;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      // the first K slice writes (or adds to) C; later slices add to what it wrote
      const addC = accumulate != 0 || pc > 0;
      packPanelsB(packB, b + <usize>(pc * bRow + jc * bCol) * 4, kc, nc, bRow, bCol);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packPanelsA(packA, a + <usize>(ic * aRow + pc * aCol) * 4, mc, kc, aRow, aCol);
        for (let jr = 0; jr < nc; jr += NR) {
          const pb = packB + <usize>(jr * kc) * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const pa = packA + <usize>(ir * kc) * 4;
            const i = ic + ir;
            const j = jc + jr;
            const cij = c + <usize>(i * ldc + j) * 4;
            if (i + MR <= M && j + NR <= N) {
              kernel(pa, pb, kc, cij, <usize>ldc * 4, addC);
            } else {
              kernel(pa, pb, kc, tile, <usize>NR * 4, false);
              clipTile(tile, cij, min(MR, M - i), min(NR, N - j), ldc, addC);
            }
          }
        }
      }
    }
  }
}

/**
 * MR×NR micro-kernel: C[MR×NR] (=|+=) Σ_k Apanel[k][0..MR) ⊗ Bpanel[k][0..NR).
 * pa: MR floats per k; pb: NR floats per k; cStride in bytes.
 */
function kernel(pa: usize, pb: usize, kc: i32, c: usize, cStride: usize, addC: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
    pa += 16;
    pb += 32;
  }
  storeRow(c, c00, c01, addC);
  storeRow(c + cStride, c10, c11, addC);
  storeRow(c + 2 * cStride, c20, c21, addC);
  storeRow(c + 3 * cStride, c30, c31, addC);
}

function storeRow(c: usize, x0: v128, x1: v128, addC: bool): void {
  if (addC) {
    x0 = f32x4.add(x0, v128.load(c));
    x1 = f32x4.add(x1, v128.load(c, 16));
  }
  v128.store(c, x0);
  v128.store(c, x1, 16);
}

/** Copy the valid rows×cols corner of an MR×NR tile into C (or add it). */
function clipTile(tile: usize, c: usize, rows: i32, cols: i32, ldc: i32, addC: bool): void {
  for (let r = 0; r < rows; r++) {
    const src = tile + <usize>(r * NR) * 4;
    const dst = c + <usize>(r * ldc) * 4;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j * 4;
      const v = load<f32>(src + o);
      store<f32>(dst + o, addC ? load<f32>(dst + o) + v : v);
    }
  }
}

/**
 * Pack op(B)[0:kc, 0:nc] (element (k, j) at b + (k*bRow + j*bCol)*4) into ⌈nc/NR⌉ panels,
 * each kc rows of NR contiguous floats, zero-padded past nc.
 */
function packPanelsB(dst: usize, b: usize, kc: i32, nc: i32, bRow: i32, bCol: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const w = min(NR, nc - jr);
    const src = b + <usize>(jr * bCol) * 4;
    if (w == NR && bCol == 1) {
      // rows of B are contiguous: two vector copies per k
      for (let k = 0; k < kc; k++) {
        const s = src + <usize>(k * bRow) * 4;
        v128.store(dst, v128.load(s));
        v128.store(dst, v128.load(s, 16), 16);
        dst += <usize>NR * 4;
      }
    } else {
      // general strides (transB) or a ragged last panel: column by column, so that a
      // transposed B (bRow == 1) is read along its contiguous k axis
      if (w < NR) memory.fill(dst, 0, <usize>(kc * NR) * 4);
      for (let j = 0; j < w; j++) {
        let s = src + <usize>(j * bCol) * 4;
        let d = dst + <usize>j * 4;
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += <usize>bRow * 4;
          d += <usize>NR * 4;
        }
      }
      dst += <usize>(kc * NR) * 4;
    }
  }
}

/**
 * Pack op(A)[0:mc, 0:kc] (element (i, k) at a + (i*aRow + k*aCol)*4) into ⌈mc/MR⌉ panels,
 * each kc columns of MR contiguous floats, zero-padded past mc.
 */
function packPanelsA(dst: usize, a: usize, mc: i32, kc: i32, aRow: i32, aCol: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const h = min(MR, mc - ir);
    const src = a + <usize>(ir * aRow) * 4;
    if (h == MR && aRow == 1) {
      // transA: the MR rows of op(A) at one k are contiguous in memory — one vector copy
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src + <usize>(k * aCol) * 4));
        dst += <usize>MR * 4;
      }
    } else {
      // row by row, reading each row of A along its contiguous k axis
      if (h < MR) memory.fill(dst, 0, <usize>(kc * MR) * 4);
      for (let r = 0; r < h; r++) {
        let s = src + <usize>(r * aRow) * 4;
        let d = dst + <usize>r * 4;
        for (let k = 0; k < kc; k++) {
          store<f32>(d, load<f32>(s));
          s += <usize>aCol * 4;
          d += <usize>MR * 4;
        }
      }
      dst += <usize>(kc * MR) * 4;
    }
  }
}
