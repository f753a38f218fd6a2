/**
 * A server's token ids of a text, by vLLM's tokenizer endpoint (served at the server's
 * root, not under /v1; `ftledger serve` serves the same):
 *   POST /tokenize { model, prompt, add_special_tokens: true } → { count, max_model_len, tokens }
 * With special tokens added, as /v1/completions feeds a prompt to the model. The scoring
 * boundary (../boundary.ts) compares the prompt's ids with the whole text's.
 *
 * A server without the route (404, 405, 501), or one that says it has no tokenizer to
 * expose (`ftledger serve` in front of another server: 400), is `absent`: the caller then
 * places the boundary by text offsets. A failure another attempt can cure (429, 5xx, a
 * dropped connection: transport.ts `isRetryable`) is retried here, on the same endpoint
 * (the ids must be that server's), with the backend's backoff: so the extra requests do
 * not make a score fail more often than its completion request alone would. Any other
 * failure is an error of the request.
 */
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";
import type { OpenAIError } from "./errors.js";
import { isRetryable, type Transport } from "./transport.js";

export type Tokenized = { ok: true; ids: number[] } | { ok: false; absent: true } | { ok: false; error: OpenAIError };

/** The server's root URL: the endpoint without its trailing /v1. */
export function serverRoot(endpoint: string): string {
  return endpoint.replace(/\/v1\/?$/, "");
}

/** How often and how patiently a /tokenize is retried (the model's maxRetries and backoff). */
export interface TokenizeRetry {
  maxRetries: number;
  backoff: BackoffOptions;
}

export async function tokenizeText(transport: Transport, endpoint: string, model: string, text: string, retry: TokenizeRetry): Promise<Tokenized> {
  for (let attempt = 0; ; attempt++) {
    const r = await tokenizeOnce(transport, endpoint, model, text);
    if (r.ok || !("error" in r) || !isRetryable(r.error) || attempt >= retry.maxRetries) return r;
    const e = r.error;
    const ms = e.code === "server_error" && e.retryAfterMs !== undefined ? e.retryAfterMs : backoffDelay(attempt, retry.backoff);
    const slept = await sleep(ms, transport.signal).then(() => true, () => false);
    if (!slept) return { ok: false, error: { code: "closed", endpoint } }; // the model was closed meanwhile
  }
}

async function tokenizeOnce(transport: Transport, endpoint: string, model: string, text: string): Promise<Tokenized> {
  const reply = await transport.post(serverRoot(endpoint), "/tokenize", { model, prompt: text, add_special_tokens: true });
  if (!reply.ok) {
    const e = reply.error;
    if (e.code === "http_error" && (e.status === 404 || e.status === 405 || e.status === 501 || (e.status === 400 && /no tokenizer/i.test(e.serverMessage)))) {
      return { ok: false, absent: true };
    }
    // the error is the endpoint's (failover benches and names endpoints, not their roots)
    return { ok: false, error: "endpoint" in e ? { ...e, endpoint } as OpenAIError : e };
  }
  const tokens = typeof reply.json === "object" && reply.json !== null ? (reply.json as { tokens?: unknown }).tokens : undefined;
  if (!Array.isArray(tokens) || !tokens.every((t) => Number.isInteger(t) && t >= 0)) {
    return { ok: false, error: { code: "bad_response", endpoint, message: "POST /tokenize answered without a `tokens` list of token ids" } };
  }
  return { ok: true, ids: tokens as number[] };
}
