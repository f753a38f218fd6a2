/**
 * Requests that carry an AbortSignal (the server's) do not run to the end in one
 * synchronous go: they take turns between decoding steps. Each turn goes through the
 * event loop, so a client that left is noticed (its signal fires) and new requests are
 * read while a long one computes. The waiting request that has used the least compute
 * time so far goes next (least attained service): a short request finishes about as fast
 * beside a long one as alone, and the long one gets what the short ones leave.
 *
 * Time is counted per signal, so a request that generates for several prompts is charged
 * for all of them, not treated as new at each prompt.
 */

import { abortError, throwIfAborted } from "../abort.js";

const used = new WeakMap<AbortSignal, number>();

interface Waiter {
  signal: AbortSignal;
  go(): void;
  onAbort(): void;
}

const waiting: Waiter[] = [];
let scheduled = false;

function schedule(): void {
  if (scheduled || waiting.length === 0) return;
  scheduled = true;
  setImmediate(release);
}

function release(): void {
  scheduled = false;
  let best = -1;
  for (let i = 0; i < waiting.length; i++) {
    if (best < 0 || (used.get(waiting[i].signal) ?? 0) < (used.get(waiting[best].signal) ?? 0)) best = i;
  }
  if (best >= 0) {
    const [w] = waiting.splice(best, 1);
    w.signal.removeEventListener("abort", w.onAbort);
    w.go();
  }
  // one turn per pass of the event loop: the released request runs its step before the next release
  schedule();
}

/** Wait for this request's next turn; rejects (abortError) when the signal aborts meanwhile. */
export function nextTurn(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const w: Waiter = {
      signal,
      go: resolve,
      onAbort: () => {
        const i = waiting.indexOf(w);
        if (i >= 0) waiting.splice(i, 1);
        reject(abortError(signal));
      },
    };
    signal.addEventListener("abort", w.onAbort, { once: true });
    waiting.push(w);
    schedule();
  });
}

/** Run one step in this request's turn and charge its time to the request. */
export function charged<T>(signal: AbortSignal, step: () => T): T {
  const t0 = performance.now();
  try {
    return step();
  } finally {
    used.set(signal, (used.get(signal) ?? 0) + performance.now() - t0);
  }
}

/** A step of a cancellable request: wait for the turn, check the signal, run and charge. */
export async function takeTurn<T>(signal: AbortSignal, step: () => T): Promise<T> {
  await nextTurn(signal);
  throwIfAborted(signal);
  return charged(signal, step);
}
