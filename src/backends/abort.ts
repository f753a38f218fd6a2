/**
 * A request's AbortSignal (GenerateRequest.signal, ScoreRequest.signal): the error an
 * aborted request rejects with, whatever the signal's reason is (@hono/node-server aborts
 * with a plain string when a client disconnects).
 */

/** The signal's reason when it is an Error, else an AbortError carrying it. */
export function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException(typeof r === "string" ? r : "the request was aborted", "AbortError");
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
