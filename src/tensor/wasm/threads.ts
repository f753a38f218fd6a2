/**
 * Optional multi-threading for the wasm matmul: worker_threads that share the one
 * WebAssembly.Memory, so a job is just 13 integers (pointers, sizes, strides).
 *
 * Protocol, per worker w, over a 64-byte control block in shared memory (Int32 slots):
 *
 *   1. main writes the part's arguments, then JOB = g (generation g > 0), and notifies.
 *   2. whoever first swaps JOB g → 0 owns the part: the worker (woken from
 *      Atomics.wait), or main itself once it has finished its own part and finds the
 *      part still unclaimed (a worker that is slow to start never delays a call).
 *   3. a worker that ran the part stores DONE = g (always, in `finally`) and notifies;
 *      if the wasm call threw (a trap: a bug) it also stores ERR = g and main throws.
 *
 * So main never waits for a worker that has not started the part, and a started part
 * always reports back. Workers are unref()'d: they never keep the process alive.
 * NOTE: the one way to hang is a worker killed *while* running a part; nothing here
 * terminates workers, and a worker's own errors are caught.
 */
import { Worker } from "node:worker_threads";
import { type WasmMemory, type WasmModule } from "./webassembly.js";

/** Arguments of gemm.ts `matmul` without `scratch`: c, a, b, M, N, K, aRow, aCol, bRow, bCol, ldc, accumulate. */
export type GemmJob = [number, number, number, number, number, number, number, number, number, number, number, number];
export type GemmRunner = (job: GemmJob, scratch: number) => void;

const JOB = 0, DONE = 1, ERR = 2, ARGS = 4; // Int32 slot indices in a control block
export const CONTROL_BYTES = 64;
/** Below this many multiply-adds a call stays on one thread (a wake-up costs ~10–50 µs). */
const MIN_PARALLEL_MACS_DEFAULT = 1 << 20;
/** Split points are rounded to the micro-tile (gemm.ts MR = 4, NR = 8). */
const MR = 4, NR = 8;

// The worker body, run with `eval: true` (so it works from src/ under vitest and from dist/).
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, scratch } = workerData;
const { matmul } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, control, 16);
for (;;) {
  Atomics.wait(ctl, ${JOB}, 0);
  const g = Atomics.load(ctl, ${JOB});
  if (g === 0 || Atomics.compareExchange(ctl, ${JOB}, g, 0) !== g) continue;
  const a = ctl.subarray(${ARGS}, ${ARGS} + 12);
  try {
    matmul(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], scratch);
  } catch {
    Atomics.store(ctl, ${ERR}, g);
  } finally {
    Atomics.store(ctl, ${DONE}, g);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

interface Helper {
  ctl: Int32Array;
  scratch: number;
}

export class GemmPool {
  private generation = 0;
  private alive = true;
  private readonly helpers: Helper[];

  /**
   * @param run       runs one part on the calling thread with the given scratch
   * @param mainScratch scratch region for the calling thread
   * @param regions   per helper: a control block (CONTROL_BYTES, zeroed) and a scratch region
   * @param minParallelMacs smallest M·N·K worth splitting
   */
  constructor(
    module: WasmModule, memory: WasmMemory, private readonly run: GemmRunner, private readonly mainScratch: number,
    regions: { control: number; scratch: number }[],
    private readonly minParallelMacs = MIN_PARALLEL_MACS_DEFAULT,
  ) {
    this.helpers = regions.map(({ control, scratch }) => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, scratch } });
      worker.unref();
      // a worker that fails to start or dies between calls: stop posting to any worker
      // (parts already posted are still stolen back by main, see step 2)
      worker.on("error", () => { this.alive = false; });
      worker.on("exit", () => { this.alive = false; });
      return { ctl: new Int32Array(memory.buffer, control, CONTROL_BYTES / 4), scratch };
    });
  }

  /** Run one gemm job, split across main and the workers when it is large enough. */
  matmul(job: GemmJob): void {
    const [, , , M, N, K] = job;
    if (!this.alive || this.helpers.length === 0 || M * N * K < this.minParallelMacs) {
      this.run(job, this.mainScratch);
      return;
    }
    const parts = splitJob(job, this.helpers.length + 1);
    const g = (this.generation = (this.generation % 0x7fffffff) + 1);
    const posted = parts.slice(1).map((part, w) => {
      const { ctl } = this.helpers[w];
      ctl.set(part, ARGS);
      Atomics.store(ctl, JOB, g);
      Atomics.notify(ctl, JOB);
      return { part, ctl };
    });
    this.run(parts[0], this.mainScratch);
    for (const { part, ctl } of posted) {
      if (Atomics.compareExchange(ctl, JOB, g, 0) === g) {
        this.run(part, this.mainScratch); // unclaimed: do it here
        continue;
      }
      for (let d = Atomics.load(ctl, DONE); d !== g; d = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, d);
      if (Atomics.load(ctl, ERR) === g) {
        // C may be partly updated, so redoing the part could double-count: report it
        this.alive = false;
        throw new Error("wasm kernels: a worker thread's matmul trapped (a bug); set FTLEDGER_WASM_THREADS=1 to avoid it and please report it");
      }
    }
  }
}

/**
 * Split C into `n` bands: along rows when M ≥ N (every part then re-packs all of B,
 * K·N floats), else along columns (every part re-packs all of A). Band edges fall on
 * micro-tile boundaries; a part may be empty.
 */
function splitJob(job: GemmJob, n: number): GemmJob[] {
  const [c, a, b, M, N, , aRow, , , bCol, ldc] = job;
  const byRows = M >= N;
  const total = byRows ? M : N;
  const unit = byRows ? MR : NR;
  const parts: GemmJob[] = [];
  for (let p = 0; p < n; p++) {
    const lo = Math.min(total, Math.round((total * p) / n / unit) * unit);
    const hi = p === n - 1 ? total : Math.min(total, Math.round((total * (p + 1)) / n / unit) * unit);
    const part: GemmJob = [...job];
    if (byRows) {
      part[0] = c + lo * ldc * 4;
      part[1] = a + lo * aRow * 4;
      part[3] = hi - lo;
    } else {
      part[0] = c + lo * 4;
      part[2] = b + lo * bCol * 4;
      part[4] = hi - lo;
    }
    parts.push(part);
  }
  return parts;
}
