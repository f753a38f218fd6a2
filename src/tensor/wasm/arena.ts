/**
 * A bump allocator over one shared WebAssembly.Memory.
 *
 * Every region starts on a 64-byte boundary (a cache line; also keeps f32x4 loads of a
 * region's first elements aligned). Memory only grows, and because it is *shared*, a
 * grow never detaches earlier views: old Float32Arrays keep working.
 *
 * NOTE: for a shared memory, `memory.buffer` returns a new SharedArrayBuffer object after
 * each grow (the old one keeps its old length but still aliases the same bytes). So "is
 * this array a view into wasm memory?" is answered by remembering every buffer object
 * this arena has seen, not by comparing with the current `memory.buffer`.
 */
import { PAGE_BYTES, type WasmMemory } from "./webassembly.js";

const ALIGN = 64;
/** The module declares a 65536-page (4 GiB) maximum; byte offsets must fit in u32. */
const MAX_BYTES = 65536 * PAGE_BYTES;

export class Arena {
  private top: number;
  /** Highest top ever reached: bytes above it have never been handed out, so are still zero. */
  private highWater: number;
  private readonly seen = new WeakSet<ArrayBufferLike>();

  constructor(private readonly memory: WasmMemory, base: number) {
    this.top = alignUp(base);
    this.highWater = this.top;
    this.seen.add(memory.buffer);
  }

  /** Reserve `bytes` bytes (not zeroed), growing memory if needed; returns the byte offset. */
  reserve(bytes: number): number {
    const ptr = this.top;
    const end = alignUp(ptr + bytes);
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (end > MAX_BYTES) {
        throw new RangeError(`wasm kernels: ${end} bytes exceed the 4 GiB WebAssembly memory limit; use the native or ts kernels for models this large.`);
      }
      this.memory.grow(Math.ceil((end - have) / PAGE_BYTES));
      this.seen.add(this.memory.buffer);
    }
    this.top = end;
    this.highWater = Math.max(this.highWater, end);
    return ptr;
  }

  /** A zeroed Float32Array of `length` elements in wasm memory. */
  alloc(length: number): Float32Array {
    const fresh = this.highWater;
    const view = this.view(this.reserve(length * 4), length);
    // Only bytes below the old high-water mark can be dirty (reused after release());
    // memory above it is as memory.grow made it: zero (and untouched, so not yet paged in).
    view.fill(0, 0, Math.max(0, Math.min(length, (fresh - view.byteOffset) / 4)));
    return view;
  }

  /** A Float32Array over `length` elements at byte offset `ptr`. */
  view(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  /** True when `x` is a view into this arena's memory (so its byteOffset is a wasm pointer). */
  owns(x: Float32Array): boolean {
    return this.seen.has(x.buffer);
  }

  /** Current top, to hand back to release() after temporary reservations. */
  mark(): number {
    return this.top;
  }

  /** Free everything reserved since `mark` (stack discipline; callers are synchronous). */
  release(mark: number): void {
    this.top = mark;
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
