/**
 * Finite-difference gradient check in float64 (central differences).
 * Compares `analytic` with (f(x+h) − f(x−h)) / 2h at up to `maxChecks` indices of x,
 * and throws naming the first bad index and the worst error.
 */
export interface GradcheckOptions {
  h?: number;
  tol?: number;
  maxChecks?: number;
}

export function gradcheck(name: string, x: Float64Array, analytic: Float64Array, f: () => number, opts: GradcheckOptions = {}): number {
  const h = opts.h ?? 1e-5;
  const tol = opts.tol ?? 1e-6;
  const maxChecks = opts.maxChecks ?? 200;
  const step = Math.max(1, Math.floor(x.length / maxChecks));
  let worst = 0;
  for (let i = 0; i < x.length; i += step) {
    const orig = x[i];
    x[i] = orig + h;
    const fp = f();
    x[i] = orig - h;
    const fm = f();
    x[i] = orig;
    const numeric = (fp - fm) / (2 * h);
    // relative error, with a small floor so gradients near zero are compared absolutely
    const err = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric), Math.abs(analytic[i]));
    if (!(err <= tol)) {
      throw new Error(`${name}: gradient mismatch at index ${i}: analytic ${analytic[i]}, numeric ${numeric}, rel err ${err}`);
    }
    worst = Math.max(worst, err);
  }
  return worst;
}

export function randomF64(n: number, rnd: () => number, scale = 1): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = (rnd() * 2 - 1) * scale;
  return x;
}

/** Σ w ⊙ y: a scalar loss whose gradient w.r.t. y is w. */
export function weightedSum(y: Float64Array, w: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * w[i];
  return s;
}
