/**
 * Everything that can go wrong talking to an OpenAI-compatible server, as data
 * (docs/CONTRIBUTING.md §9). `formatOpenAIError` renders one message: what was wrong, where (the
 * server URL) and what to do next. The LanguageModel methods reject with a
 * `BackendError` that carries the data as `detail`.
 *
 * The prompt/continuation boundary problems are the ones every backend reports
 * (../boundary.ts), rendered by the same words with `openai:URL#MODEL` as the model.
 *
 * NOTE: no error ever holds the API key. Server messages are passed through `redact`
 * before they are stored (OpenAI's own 401 body quotes part of the key).
 */

import { formatBoundaryProblem, type TokenBoundary } from "../boundary.js";

export type OpenAIError =
  /** The `openai:` model spec (or the options object) is malformed. */
  | { code: "bad_spec"; spec: string; message: string }
  /** `apiKeyEnv` names an environment variable that is unset or empty. */
  | { code: "missing_api_key"; endpoint: string; env: string }
  /** 401 / 403: the server refused the credentials. */
  | { code: "auth"; endpoint: string; status: number; env?: string; serverMessage: string }
  /** A 4xx other than 401/403/408/429: the request itself is wrong; never retried. */
  | { code: "http_error"; endpoint: string; status: number; serverMessage: string }
  /** 429 / 408 / 5xx still failing after every retry; `retryAfterMs`: the server's Retry-After. */
  | { code: "server_error"; endpoint: string; status: number; serverMessage: string; attempts: number; retryAfterMs?: number }
  /** Connection refused / reset / hang up, after every retry. */
  | { code: "connection"; endpoint: string; cause: string; attempts: number }
  /** No complete response within `timeoutMs`, on every attempt. */
  | { code: "timeout"; endpoint: string; timeoutMs: number; attempts: number }
  /** The body was not JSON, on every attempt. */
  | { code: "bad_json"; endpoint: string; attempts: number; snippet: string }
  /** JSON, but not the shape the OpenAI API defines. */
  | { code: "bad_response"; endpoint: string; message: string }
  /** The model is not among those the server lists at /v1/models. */
  | { code: "unknown_model"; endpoint: string; model: string; available: string[] }
  /** The server gave no log-probabilities for the prompt's tokens (echo and prompt_logprobs both tried, or the one configured). */
  | { code: "no_prompt_logprobs"; endpoint: string; model: string; tried: string[] }
  /** The server's prompt tokens do not spell prompt + continuation. */
  | { code: "wrong_tokens"; endpoint: string; expected: string; got: string }
  /** A merge crosses the prompt/continuation boundary: the prompt's tokens are not a prefix of the whole's, or one server token spans it (../boundary.ts). */
  | { code: "token_boundary"; endpoint: string; model: string; boundary: TokenBoundary }
  /** The continuation is empty (after the prompt's trailing whitespace moved onto it, ../boundary.ts). */
  | { code: "empty_continuation"; endpoint: string; model: string }
  /** The continuation adds no token after the prompt's when tokenised together. */
  | { code: "no_continuation_tokens"; endpoint: string; model: string; continuation: string }
  /** The server's /tokenize and its completion's prompt tokens disagree, so the boundary cannot be placed by ids. */
  | { code: "tokenize_mismatch"; endpoint: string; model: string; message: string }
  /** Scoring needs a non-empty prompt: a server gives the first token no log-probability. */
  | { code: "empty_prompt"; endpoint: string }
  /** The model was closed before or while the request ran. */
  | { code: "closed"; endpoint: string }
  /** Several endpoints (replicas), and every one failed the request, each with its last failure. */
  | { code: "endpoints_down"; failures: { endpoint: string; error: OpenAIError }[]; attempts: number };

export type OpenAIErrorCode = OpenAIError["code"];

const SERVERS_WITH_PROMPT_LOGPROBS =
  "use a server that returns prompt log-probabilities (vLLM or SGLang with echo / prompt_logprobs, or `ftledger serve`), or load the model directly with a gguf: or builtin: spec";

const clip = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more chars)` : s);

/** One user-facing message: what was wrong, where, and what to do next. */
export function formatOpenAIError(e: OpenAIError): string {
  switch (e.code) {
    case "bad_spec":
      return `model spec "${e.spec}": ${e.message}. Write it as openai:http://HOST:PORT/v1#MODEL (several endpoints: openai:URL1,URL2#MODEL).`;
    case "missing_api_key":
      return `${e.endpoint}: the API key variable ${e.env} is not set (or is empty). Export ${e.env}=<key> in the environment that runs ftledger.`;
    case "auth":
      return `${e.endpoint}: the server refused the credentials (HTTP ${e.status}: ${clip(e.serverMessage)}). ${e.env ? `Check the key in ${e.env}.` : "The server wants an API key: put it in an environment variable and pass that variable's name with --api-key-env NAME (apiKeyEnv when calling createOpenAIModel)."}`;
    case "http_error":
      return `${e.endpoint}: the server rejected the request (HTTP ${e.status}: ${clip(e.serverMessage)}). Check the model name and request parameters against what this server supports.`;
    case "server_error":
      return `${e.endpoint}: the server kept failing (HTTP ${e.status}: ${clip(e.serverMessage)}) after ${e.attempts} attempt(s). Check the server's logs and load, or allow more attempts with --retries N (maxRetries).`;
    case "connection":
      return `${e.endpoint}: could not complete the connection (${e.cause}) after ${e.attempts} attempt(s). Check that the server is running and reachable at this URL.`;
    case "timeout":
      return `${e.endpoint}: no response within ${e.timeoutMs} ms (the timeout) after ${e.attempts} attempt(s). The server is hung or overloaded, or the request is too large; give it longer with --timeout SECONDS (timeoutMs) or send fewer requests at once with --concurrency N.`;
    case "bad_json":
      return `${e.endpoint}: the server's response was not valid JSON after ${e.attempts} attempt(s) (starts: ${JSON.stringify(clip(e.snippet, 80))}). Check that the URL points at an OpenAI-compatible API (it should end in /v1).`;
    case "bad_response":
      return `${e.endpoint}: the response does not follow the OpenAI API: ${e.message}. Check that the server is OpenAI-compatible.`;
    case "unknown_model":
      return `${e.endpoint}: the server does not serve model "${e.model}" (it lists: ${e.available.slice(0, 10).join(", ") || "none"}). Use one of the listed names after # in the spec.`;
    case "no_prompt_logprobs":
      return `${e.endpoint}: the server returned no log-probabilities for the prompt's tokens of model "${e.model}" (tried: ${e.tried.join(", ")}), so continuations cannot be scored (llama.cpp's server, for one, gives logprobs only for generated tokens). Scoring without them would be at chance level; ${SERVERS_WITH_PROMPT_LOGPROBS}.`;
    case "wrong_tokens":
      return `${e.endpoint}: the server's prompt tokens do not spell the text that was sent (expected ${JSON.stringify(clip(e.expected, 80))}, tokens spell ${JSON.stringify(clip(e.got, 80))}), so its log-probabilities belong to other tokens. The server's echo/prompt_logprobs output is unreliable; ${SERVERS_WITH_PROMPT_LOGPROBS}.`;
    case "token_boundary":
      return formatBoundaryProblem({ code: "token_boundary", model: `openai:${e.endpoint}#${e.model}`, ...e.boundary });
    case "empty_continuation":
      return formatBoundaryProblem({ code: "empty_continuation", model: `openai:${e.endpoint}#${e.model}` });
    case "no_continuation_tokens":
      return formatBoundaryProblem({ code: "no_continuation_tokens", model: `openai:${e.endpoint}#${e.model}`, continuation: e.continuation });
    case "tokenize_mismatch":
      return `${e.endpoint}: the server's /tokenize disagrees with the prompt tokens of its completion for model "${e.model}" (${e.message}), so the prompt/continuation boundary cannot be placed by token ids. Check that /tokenize (at the server's root) serves the same model and tokenizer as /v1/completions.`;
    case "empty_prompt":
      return `${e.endpoint}: cannot score a continuation after an empty prompt (the server gives the first token no log-probability). Start the prompt with the model's BOS text or a newline.`;
    case "closed":
      return `${e.endpoint}: the model was closed while the request was pending. Do not call it after close().`;
    case "endpoints_down":
      return `every endpoint failed the request (${e.attempts} attempt(s) over ${e.failures.length} endpoints): ${e.failures.map((f) => `${f.endpoint}: ${lastFailure(f.error)}`).join("; ")}. Check that the servers are running and reachable at these URLs; give them longer with --timeout SECONDS or more attempts with --retries N.`;
  }
}

/** One endpoint's last failure, short, for the list in "endpoints_down". */
function lastFailure(e: OpenAIError): string {
  switch (e.code) {
    case "connection":
      return `could not connect (${e.cause})`;
    case "timeout":
      return `no response within ${e.timeoutMs} ms (the timeout)`;
    case "server_error":
      return `HTTP ${e.status}: ${clip(e.serverMessage, 120)}`;
    case "bad_json":
      return `a response that is not JSON (starts: ${JSON.stringify(clip(e.snippet, 40))})`;
    default:
      return formatOpenAIError(e);
  }
}

/** The Error every LanguageModel method of this backend rejects with. */
export class BackendError extends Error {
  readonly code: OpenAIErrorCode;
  readonly endpoint: string | undefined;
  readonly status: number | undefined;
  readonly detail: OpenAIError;
  constructor(detail: OpenAIError) {
    super(formatOpenAIError(detail));
    this.name = "BackendError";
    this.code = detail.code;
    this.detail = detail;
    this.endpoint = "endpoint" in detail ? detail.endpoint : undefined;
    this.status = "status" in detail ? detail.status : undefined;
  }
}

/** Replace every occurrence of `secret` (and of its 8-char tail, which servers quote) with a marker. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  let out = text.split(secret).join("[redacted]");
  if (secret.length >= 12) out = out.split(secret.slice(-8)).join("[redacted]");
  return out;
}
