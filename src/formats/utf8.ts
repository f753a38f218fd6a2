/**
 * The byte-level checks behind the strict text reader (text.ts): where a byte sequence
 * stops being UTF-8, whether a file is UTF-16 or UTF-32 instead, and whether a parsed
 * JSON value holds a lone surrogate. TextDecoder's fatal mode says only *that* the bytes
 * are invalid; these say *where*, so an error can name the line and the byte.
 */

/** The encodings we recognise in order to name them; we read none of them. */
export type OtherEncoding = "UTF-16LE" | "UTF-16BE" | "UTF-32LE" | "UTF-32BE";

/** Length of the well-formed UTF-8 sequence at `i`, or 0 when the sequence there is invalid (Unicode Table 3-7). */
function sequenceLength(b: Uint8Array, i: number): number {
  const x = b[i];
  if (x < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < b.length && b[j] >= lo && b[j] <= hi;
  if (x >= 0xc2 && x <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (x >= 0xe0 && x <= 0xef) {
    // E0 needs A0..BF (no overlong forms), ED needs 80..9F (no UTF-16 surrogates)
    const [lo, hi] = x === 0xe0 ? [0xa0, 0xbf] : x === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (x >= 0xf0 && x <= 0xf4) {
    // F0 needs 90..BF (no overlong forms), F4 needs 80..8F (nothing above U+10FFFF)
    const [lo, hi] = x === 0xf0 ? [0x90, 0xbf] : x === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0; // a stray continuation byte, C0/C1 (always overlong) or F5..FF (never used)
}

/** The index of the first byte that does not start a well-formed UTF-8 sequence, or -1 when all of `bytes` is UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/**
 * A UTF-16 or UTF-32 file, by its byte-order mark or, without one, by the NUL bytes that
 * ASCII text has in those encodings (every second or three of every four bytes). null: the
 * start looks like UTF-8 (or like no text at all; the UTF-8 check then names the byte).
 */
export function sniffOtherEncoding(head: Uint8Array): { encoding: OtherEncoding; bom: boolean } | null {
  const starts = (...xs: number[]) => xs.every((x, i) => head[i] === x) && head.length >= xs.length;
  if (starts(0xff, 0xfe, 0, 0)) return { encoding: "UTF-32LE", bom: true };
  if (starts(0, 0, 0xfe, 0xff)) return { encoding: "UTF-32BE", bom: true };
  if (starts(0xff, 0xfe)) return { encoding: "UTF-16LE", bom: true };
  if (starts(0xfe, 0xff)) return { encoding: "UTF-16BE", bom: true };
  const n = Math.min(head.length, 1024) & ~3;
  if (n < 4) return null;
  const zeros = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) if (head[i] === 0) zeros[i % 4]++;
  const quarter = n / 4;
  const high = (k: number) => zeros[k] > 0.75 * quarter;
  const low = (k: number) => zeros[k] < 0.25 * quarter;
  if (low(0) && high(1) && high(2) && high(3)) return { encoding: "UTF-32LE", bom: false };
  if (high(0) && high(1) && high(2) && low(3)) return { encoding: "UTF-32BE", bom: false };
  if (low(0) && low(2) && high(1) && high(3)) return { encoding: "UTF-16LE", bom: false };
  if (high(0) && high(2) && low(1) && low(3)) return { encoding: "UTF-16BE", bom: false };
  return null;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one (code units, no `u` flag)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Does `s` hold a lone surrogate (what a `\ud800` JSON escape without its pair decodes to)? */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/**
 * The path of the first string (or key) in a parsed JSON value that holds a lone
 * surrogate — `prompt`, `options[2]`, `meta.note` — or null when every string is text.
 * JSON.parse accepts `"\ud800"`, but it is half a character: printed or sent to a model
 * it becomes U+FFFD, so the item would not be what the file says.
 */
export function loneSurrogateField(value: unknown): string | null {
  // NOTE: an explicit stack and a visited set, not recursion: JSON.parse builds values nested
  // deeper than the call stack, and a YAML alias inside its own anchor makes a cyclic value
  type Entry = { v: unknown; path: string; badName?: true };
  const stack: Entry[] = [{ v: value, path: "" }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { v, path, badName } = stack.pop()!;
    if (badName) return `${path} (its name)`;
    if (typeof v === "string") {
      if (hasLoneSurrogate(v)) return path || "(value)";
      continue;
    }
    if (v === null || typeof v !== "object" || seen.has(v)) continue;
    seen.add(v);
    const children: Entry[] = [];
    if (Array.isArray(v)) v.forEach((x, i) => children.push({ v: x, path: `${path}[${i}]` }));
    else {
      for (const [k, x] of Object.entries(v)) {
        const at = path === "" ? k : `${path}.${k}`;
        children.push(hasLoneSurrogate(k) ? { v: x, path: at, badName: true } : { v: x, path: at });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]); // first child on top: the first field found is reported
  }
  return null;
}
