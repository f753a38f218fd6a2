/**
 * The native kernels' RoPE, residual adds and embedding gather / scatter
 * (native/napi_elementwise.c): each argument checked, then one call into C. The
 * references are src/model/ops/{rope,residual,embedding}.ts; test/tensor/
 * elementwise.test.ts compares them.
 */
import type { FusedKernels, RopeTable } from "./kernels.js";
import { need, overlaps, size } from "./native-checks.js";

type F32 = Float32Array;

/** The part of the addon these wrappers call. */
export interface ElementwiseAddon {
  ropeForward(x: F32, positions: Int32Array, cos: Float64Array, sin: Float64Array, H: number, HS: number): void;
  ropeBackward(dx: F32, positions: Int32Array, cos: Float64Array, sin: Float64Array, H: number, HS: number): void;
  residualForward(out: F32, x: F32, y: F32, n: number): void;
  residualBackward(dx: F32, dy: F32, dout: F32, n: number): void;
  embeddingForward(out: F32, tokens: Int32Array, wte: F32, C: number): void;
  embeddingBackward(dwte: F32, dout: F32, tokens: Int32Array, C: number): void;
}

export type ElementwiseOp = "ropeForward" | "ropeBackward" | "residualForward" | "residualBackward" | "embeddingForward" | "embeddingBackward";

export function elementwise(addon: ElementwiseAddon): Pick<Required<FusedKernels>, ElementwiseOp> {
  const rope = (op: string, x: Float32Array, positions: Int32Array, H: number, HS: number, table: RopeTable): void => {
    size(op, "H", H, 1);
    size(op, "HS", HS, 2);
    if (HS % 2 !== 0 || table.half !== HS / 2) throw new Error(`native ${op}: HS=${HS} must be even and match the table (half = ${table.half})`);
    if (!(positions instanceof Int32Array)) throw new Error(`native ${op}: positions must be an Int32Array`);
    if (!(table.cos instanceof Float64Array && table.sin instanceof Float64Array)) throw new Error(`native ${op}: the table's cos and sin must be Float64Arrays`);
    const rows = Math.min(table.cos.length, table.sin.length) / table.half;
    need(op, { [op === "ropeForward" ? "x" : "dx"]: [x, positions.length * H * HS] });
    for (let n = 0; n < positions.length; n++) {
      const p = positions[n];
      if (!(p >= 0 && p < rows)) throw new Error(`native ${op}: position ${p} at row ${n} is outside the table's ${rows} positions`);
    }
  };
  const embedding = (op: string, table: Float32Array, rows: Float32Array, tokens: Int32Array, C: number): void => {
    size(op, "C", C, 1);
    if (!(tokens instanceof Int32Array)) throw new Error(`native ${op}: tokens must be an Int32Array`);
    need(op, { [op === "embeddingForward" ? "out" : "dout"]: [rows, tokens.length * C], [op === "embeddingForward" ? "wte" : "dwte"]: [table, C] });
    const V = Math.floor(table.length / C);
    for (let n = 0; n < tokens.length; n++) {
      const t = tokens[n];
      if (!(t >= 0 && t < V)) throw new Error(`native ${op}: token ${t} at index ${n} is outside the vocabulary [0, ${V})`);
    }
  };
  return {
    ropeForward({ x, positions, H, HS, table }) {
      rope("ropeForward", x, positions, H, HS, table);
      addon.ropeForward(x, positions, table.cos, table.sin, H, HS);
    },
    ropeBackward({ dx, positions, H, HS, table }) {
      rope("ropeBackward", dx, positions, H, HS, table);
      addon.ropeBackward(dx, positions, table.cos, table.sin, H, HS);
    },
    residualForward({ out, x, y, n }) {
      size("residualForward", "n", n, 0);
      need("residualForward", { out: [out, n], x: [x, n], y: [y, n] });
      // out may be x or y itself (element i reads only element i), but not a shifted view of either
      for (const [name, src] of [["x", x], ["y", y]] as const) {
        if (overlaps(out, src, n) && out.byteOffset !== src.byteOffset) throw new Error(`native residualForward: out overlaps ${name} at another offset; pass ${name} itself or a separate buffer`);
      }
      addon.residualForward(out, x, y, n);
    },
    residualBackward({ dx, dy, dout, n }) {
      size("residualBackward", "n", n, 0);
      need("residualBackward", { dx: [dx, n], dy: [dy, n], dout: [dout, n] });
      for (const [a, b, what] of [[dx, dy, "dx and dy"], [dx, dout, "dx and dout"], [dy, dout, "dy and dout"]] as const) {
        if (overlaps(a, b, n)) throw new Error(`native residualBackward: ${what} overlap; each gradient needs its own buffer`);
      }
      addon.residualBackward(dx, dy, dout, n);
    },
    embeddingForward({ out, tokens, wte, C }) {
      embedding("embeddingForward", wte, out, tokens, C);
      addon.embeddingForward(out, tokens, wte, C);
    },
    embeddingBackward({ dwte, dout, tokens, C }) {
      embedding("embeddingBackward", dwte, dout, tokens, C);
      addon.embeddingBackward(dwte, dout, tokens, C);
    },
  };
}
