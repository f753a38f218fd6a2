/**
 * Key/value cache for incremental decoding: per layer, the RoPE'd keys and the values
 * of every position seen so far, so a new token attends to the past without
 * recomputing it. Shapes: k, v per layer (Tmax, KVH·HS).
 */
import { headDim, type ModelConfig } from "./config.js";

export class KvCache {
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  readonly capacity: number;
  /** Positions filled so far; the next token sits at position `length`. */
  length = 0;

  constructor(c: ModelConfig, capacity = c.contextLength) {
    if (!(Number.isInteger(capacity) && capacity > 0 && capacity <= c.contextLength)) {
      throw new Error(`a KV cache holds 1 to ${c.contextLength} positions (the context length), not ${capacity}`);
    }
    const kD = c.nKvHeads * headDim(c);
    this.capacity = capacity;
    this.k = Array.from({ length: c.nLayers }, () => new Float32Array(capacity * kD));
    this.v = Array.from({ length: c.nLayers }, () => new Float32Array(capacity * kD));
  }

  /** Forget everything after `length` positions (e.g. to reuse a shared prompt prefix). */
  truncate(length: number): void {
    if (length < 0 || length > this.length) throw new Error(`cannot truncate a cache of ${this.length} positions to ${length}`);
    this.length = length;
  }
}
