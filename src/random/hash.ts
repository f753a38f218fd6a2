/**
 * Stable hashes: 32-bit string hashes that turn names into seeds (so a seed is a pure
 * function of what it is for), and sha256 for content identities (weights, token data,
 * manifests, cached requests).
 */
import { createHash } from "node:crypto";

/** FNV-1a (32-bit) of a string (Fowler–Noll–Vo, the 1a variant: xor, then multiply). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** FNV-1a with murmur3's 32-bit finaliser (fmix32): a stable, well-mixed 32-bit hash of a string. */
export function hash32(s: string): number {
  let h = fnv1a(s);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * sha256 (hex) of several parts hashed in order, as one stream: typed arrays by their
 * bytes (token ids, weights), strings by their UTF-8 bytes.
 */
export function sha256Of(...parts: (ArrayBufferView | string)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(typeof p === "string" ? p : new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest("hex");
}

/** sha256 (hex) of a string's UTF-8 bytes. */
export function sha256Text(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
