/**
 * The standard normal quantile Φ⁻¹(p), for the z of a confidence level.
 * Wichura 1988, "Algorithm AS 241: The Percentage Points of the Normal Distribution"
 * (Applied Statistics 37(3)), PPND16: rational approximations accurate to about 1e-16,
 * the algorithm behind R's qnorm.
 */

const A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const B = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561];
const C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const D = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const F = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

/** c[0] + c[1]·r + … + c[7]·r⁷ (Horner). */
function poly(c: readonly number[], r: number): number {
  let v = 0;
  for (let i = c.length - 1; i >= 0; i--) v = v * r + c[i];
  return v;
}

/** Φ⁻¹(p) for p in (0, 1); −∞ at 0, +∞ at 1, NaN outside [0, 1]. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(A, r)) / poly(B, r);
  }
  // the tails: r = √(−log(min(p, 1 − p)))
  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  const z = r <= 5 ? poly(C, r - 1.6) / poly(D, r - 1.6) : poly(E, r - 5) / poly(F, r - 5);
  return q < 0 ? -z : z;
}

/** The two-sided critical value z with P(|Z| ≤ z) = confidence (1.959964 for 0.95). */
export function twoSidedZ(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * The standard normal CDF Φ(x), to about 1e-15 relative accuracy in both tails.
 * |x| < 3: Marsaglia 2004 ("Evaluating the Normal Distribution", J. Stat. Software 11(4)),
 *   Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …), a series of positive terms;
 * beyond: the lower tail Φ(−|x|) = φ(x) / (|x| + 1/(|x| + 2/(|x| + 3/(|x| + …)))) (Laplace's
 *   continued fraction for Mills' ratio), evaluated backwards from 80 terms, so a tiny
 *   tail probability keeps its digits instead of being 1 − (something near 1).
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  if (Math.abs(x) < 3) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
      term *= (x * x) / (2 * k + 1);
      sum += term;
    }
    return 0.5 + phi * sum;
  }
  const a = Math.abs(x);
  let cf = a;
  for (let k = 80; k >= 1; k--) cf = a + k / cf;
  const tail = phi / cf;
  return x < 0 ? tail : 1 - tail;
}
