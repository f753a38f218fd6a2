/**
 * The slice of the WebAssembly JS API the wasm kernels use, typed here because the
 * project compiles against lib ES2022 without DOM, and @types/node does not declare the
 * `WebAssembly` global. Spec: https://webassembly.github.io/spec/js-api/
 */

export interface WasmMemory {
  /** For shared memory, a SharedArrayBuffer; a new object after every grow. */
  readonly buffer: ArrayBufferLike;
  /** Grow by `delta` 64 KiB pages; returns the old size in pages; throws RangeError past the maximum. */
  grow(delta: number): number;
}

/** A compiled module: opaque, and (unlike an instance) transferable to worker threads. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WebAssemblyNamespace {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, Record<string, unknown>>): Promise<WasmInstance>;
}

export const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyNamespace }).WebAssembly;

/** 64 KiB, the WebAssembly page size. */
export const PAGE_BYTES = 65536;
