/**
 * Work buffers of the inference forward pass (infer.ts), kept per model between calls.
 *
 * A call needs a dozen scratch arrays sized by its rows: the residual stream, norms,
 * q/k/v, the attention output, the MLP's gate and up, attention scores. Allocating them
 * anew on every call (every decoding step) costs their zero-fill and, above all, garbage
 * collection. A workspace keeps one ArrayBuffer per model and hands each call views into
 * it, laid out by the call's shape; the views are kept as well, so a run of calls of one
 * shape (decoding steps of a batch) allocates nothing here.
 *
 * The buffers are not cleared between calls. That is safe because every kernel the pass
 * runs writes each element before it is read: matmul without `accumulate` stores (never
 * adds), the norms, RoPE, SwiGLU and residual adds write whole rows, attention writes
 * every score of its (NH, Tq, Tk) block (zeros past the visible keys) and every output
 * row. test/model/infer-workspace.test.ts fills the buffers with NaN between calls to
 * check it. Logits, which callers keep, are never taken from here.
 *
 * Re-entrancy: a call that finds the workspace busy (an `onHidden` callback that runs
 * the same model again) gets fresh buffers of its own, dropped after it.
 *
 * Memory: at most `maxFloats` (default 8 Mi floats, 32 MiB) stay allocated per model;
 * a call that needs more gets fresh buffers dropped after it, as every call did before.
 * A buffer grows to 1.25× the need of the call that outgrew it. When it has been over 4×
 * what each of the last 64 calls needed, it is dropped and reallocated at the next call's
 * need, so one big scoring call does not pin its size through a long decoding run. The
 * map is weak: a workspace goes with its model.
 */

/** The sizes one inference call needs (floats unless said). */
export interface InferShape {
  /** Rows of the call, and the model's widths: C, q (NH·HS), k/v (KVH·HS), ffn. */
  N: number;
  C: number;
  qD: number;
  kD: number;
  F: number;
  /** Attention scores: the largest NH·Tq·Tk among the sequences sent to attentionForward (0: none). */
  att: number;
  /** Rows the final norm takes at once (all of them, or the most one segment asks for), 0 if none. */
  head: number;
}

/** Views for one call, each exactly as long as the shape says. */
export interface InferBuffers {
  x: Float32Array; // (N, C) residual stream
  ln: Float32Array; // (N, C) normed input of a block
  rstd: Float32Array; // (N)
  q: Float32Array; // (N, qD)
  kk: Float32Array; // (N, kD)
  vv: Float32Array; // (N, kD)
  y: Float32Array; // (N, qD) attention output
  branch: Float32Array; // (N, C) output of a block, before the residual add
  gate: Float32Array; // (N, F)
  up: Float32Array; // (N, F)
  att: Float32Array; // scores of one sequence (NH, Tq, Tk)
  h: Float32Array; // (head, C) final norm
  hRstd: Float32Array; // (head)
  positions: Int32Array; // (N)
  tokens: Int32Array; // (N) token id of every row
}

export interface InferWorkspaceLimits {
  /** Most floats kept between calls. */
  maxFloats: number;
  /** Calls to look back over before shrinking an oversized buffer. */
  shrinkAfter: number;
}

const DEFAULT_LIMITS: InferWorkspaceLimits = { maxFloats: 8 << 20, shrinkAfter: 64 };
/** Each view starts on a 64-byte line. */
const ALIGN = 16;

const up16 = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Floats a call of this shape takes, alignment included. */
export function inferShapeFloats(s: InferShape): number {
  const { N, C, qD, kD, F } = s;
  return 3 * up16(N * C) + 3 * up16(N) + 2 * up16(N * qD) + 2 * up16(N * kD) + 2 * up16(N * F) + up16(s.att) + up16(s.head * C) + up16(s.head);
}

/** Views for `s` laid out from the start of `buf`. */
function layout(buf: ArrayBuffer, s: InferShape): InferBuffers {
  let at = 0; // floats laid out so far
  const next = (n: number) => {
    const offset = at * 4;
    at += up16(n);
    return offset;
  };
  const f = (n: number) => new Float32Array(buf, next(n), n);
  const i32 = (n: number) => new Int32Array(buf, next(n), n);
  const { N, C, qD, kD, F } = s;
  return {
    x: f(N * C), ln: f(N * C), rstd: f(N), q: f(N * qD), kk: f(N * kD), vv: f(N * kD), y: f(N * qD),
    branch: f(N * C), gate: f(N * F), up: f(N * F), att: f(s.att), h: f(s.head * C), hRstd: f(s.head),
    positions: i32(N), tokens: i32(N),
  };
}

function sameShape(a: InferShape, b: InferShape): boolean {
  return a.N === b.N && a.C === b.C && a.qD === b.qD && a.kD === b.kD && a.F === b.F && a.att === b.att && a.head === b.head;
}

export class InferWorkspace {
  private buf: ArrayBuffer | null = null;
  private views: { shape: InferShape; buffers: InferBuffers } | null = null;
  private busy = false;
  private calls = 0; // calls since the last look at the buffer's size
  private mostNeeded = 0; // the largest need among them
  readonly limits: InferWorkspaceLimits;

  constructor(limits: Partial<InferWorkspaceLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Floats held between calls. */
  get retainedFloats(): number {
    return this.buf ? this.buf.byteLength / 4 : 0;
  }

  /**
   * Buffers for one call. Give them back with `release` when the call ends (also when it
   * throws); until then a further `acquire` gets buffers of its own.
   */
  acquire(shape: InferShape): InferBuffers {
    const need = inferShapeFloats(shape);
    if (this.busy || need > this.limits.maxFloats) return layout(new ArrayBuffer(need * 4), shape);
    this.track(need);
    if (!this.buf || this.buf.byteLength < need * 4) {
      this.views = null;
      this.buf = null; // the old one may go before the new one is allocated
      this.buf = new ArrayBuffer(up16(Math.min(this.limits.maxFloats, Math.ceil(need * 1.25))) * 4);
    }
    if (!this.views || !sameShape(this.views.shape, shape)) this.views = { shape: { ...shape }, buffers: layout(this.buf, shape) };
    this.busy = true;
    return this.views.buffers;
  }

  /** Ends the call that got `b`. */
  release(b: InferBuffers): void {
    if (this.views && b === this.views.buffers) this.busy = false;
  }

  /** Fills the retained buffer with `value` (tests: shows that no kernel reads what an earlier call left). */
  fill(value: number): void {
    if (this.buf) new Float32Array(this.buf).fill(value);
  }

  /** Every `shrinkAfter` calls: a buffer over 4× their largest need is dropped (the call reallocates it). */
  private track(need: number): void {
    this.mostNeeded = Math.max(this.mostNeeded, need);
    if (++this.calls < this.limits.shrinkAfter) return;
    if (this.buf && this.buf.byteLength > 4 * 4 * this.mostNeeded) {
      this.buf = null;
      this.views = null;
    }
    this.calls = 0;
    this.mostNeeded = 0;
  }
}

const workspaces = new WeakMap<object, InferWorkspace>();

/** The workspace of `model` (created on first use). */
export function inferWorkspace(model: object): InferWorkspace {
  let w = workspaces.get(model);
  if (!w) workspaces.set(model, (w = new InferWorkspace()));
  return w;
}
