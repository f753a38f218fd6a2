/**
 * Glob-style `*` matching for gate selectors ("capability.*", "*.accuracy"), in linear
 * time: the greedy two-pointer algorithm that remembers only the last `*` and resumes
 * after it on a mismatch (each `*` only ever needs its leftmost match for what follows).
 * NOTE: a RegExp with several ".*" backtracks exponentially on a key it does not match
 * ("*.a*a*a*a*a*a*a*a*a*a*b" against a 50-character key took 6 s).
 */
export interface Selector {
  test(key: string): boolean;
  readonly source: string;
}

export function wildcard(pattern: string): Selector {
  return { source: pattern, test: (key) => wildcardMatch(pattern, key) };
}

export function wildcardMatch(pattern: string, key: string): boolean {
  let p = 0;
  let k = 0;
  let star = -1; // position in pattern after the last *
  let resume = 0; // position in key where that * 's match would grow next
  while (k < key.length) {
    if (p < pattern.length && pattern[p] === "*") {
      star = ++p;
      resume = k;
    } else if (p < pattern.length && pattern[p] === key[k]) {
      p++;
      k++;
    } else if (star >= 0) {
      p = star;
      k = ++resume;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
