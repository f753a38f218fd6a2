import { expect } from "vitest";

/** Worst relative error |got − ref| / (1 + |ref|) over the elements is at most `tol`; the message names where. */
export function expectClose(got: Float32Array, ref: Float64Array, tol: number, what: string): void {
  let err = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i] - ref[i]) / (1 + Math.abs(ref[i]));
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  expect(err, `${what}: worst at index ${at} (got ${got[at]}, reference ${ref[at]})`).toBeLessThanOrEqual(tol);
}
