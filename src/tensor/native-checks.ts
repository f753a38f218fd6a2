/**
 * Argument checks shared by the native kernels' wrappers (native.ts,
 * native-elementwise.ts): every size and buffer is checked before it reaches C, so a
 * wrong call is an Error naming the op and the argument, never a write out of bounds.
 */
export const INT32_MAX = 2 ** 31 - 1;

export function size(op: string, name: string, x: number, min: number): void {
  if (!Number.isInteger(x) || x < min || x > INT32_MAX) throw new Error(`native ${op}: ${name} must be an integer ≥ ${min}, got ${x}`);
}

/** Each named buffer must be a Float32Array holding at least its element count. */
export function need(op: string, bufs: Record<string, [Float32Array, number]>): void {
  for (const name in bufs) {
    const [buf, n] = bufs[name];
    if (!(buf instanceof Float32Array)) throw new Error(`native ${op}: ${name} must be a Float32Array`);
    if (n > INT32_MAX) throw new Error(`native ${op}: ${name} would need ${n} elements, more than the addon supports (2^31 − 1)`);
    if (buf.length < n) throw new Error(`native ${op}: ${name} has ${buf.length} elements but the shape needs ${n}`);
  }
}

/** Whether the first n floats of a and b share memory. */
export function overlaps(a: Float32Array, b: Float32Array, n: number): boolean {
  if (a.buffer !== b.buffer || n === 0) return false;
  return a.byteOffset < b.byteOffset + 4 * n && b.byteOffset < a.byteOffset + 4 * n;
}
