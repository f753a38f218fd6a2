/**
 * The openai backend's options, and the command-line model spec that names them:
 *
 *   openai:http://127.0.0.1:8000/v1#model-name
 *   openai:http://gpu1:8000/v1,http://gpu2:8000/v1#model-name    (replicas of one model)
 *
 * A spec names where the model is; how to talk to it (`OpenAIConnection`: the key's
 * variable, timeout, retries, concurrency) comes from the caller (the CLI's --api-key-env,
 * --timeout, --retries, --concurrency), never from the spec text.
 *
 * The API key is never part of a spec: `apiKeyEnv` names the environment variable that
 * holds it, read at request time (so it never sits in an object that is logged).
 */
import type { OpenAIError } from "./errors.js";

/** How prompt log-probabilities are asked for (see score.ts). */
export type PromptLogprobsMode = "auto" | "echo" | "vllm";

export interface OpenAISpec {
  /** Base URLs ending in /v1; several = replicas of one model: requests are spread, and a failed attempt moves to another. */
  endpoints: string[];
  /** The model name the server knows (vLLM: --served-model-name). */
  model: string;
  /** Name of the environment variable holding the API key (sent as a Bearer token). */
  apiKeyEnv?: string;
  /** Generate through /v1/chat/completions (the server applies the chat template). */
  chat?: boolean;
  /** Requests in flight at once, over all endpoints. Default 8: enough to fill a small vLLM batch without queueing at the server. */
  concurrency?: number;
  /** Per attempt. Default 60000: a long generation on a busy server still fits. */
  timeoutMs?: number;
  /**
   * Retry rounds after the first: a round tries each endpoint once (so moving off a failed
   * replica costs no retry), then backs off. Default 5: up to ~15 s of backoff at the
   * defaults, enough to ride out a server restart without hiding a dead one.
   */
  maxRetries?: number;
  /** Default "auto": try echo, then vLLM's prompt_logprobs, and remember per endpoint. */
  promptLogprobs?: PromptLogprobsMode;
}

/** How to talk to the servers, as the CLI sets it for every openai: model it opens. */
export type OpenAIConnection = Pick<OpenAISpec, "apiKeyEnv" | "timeoutMs" | "maxRetries" | "concurrency">;

/** Knobs for tests and tuning; none of them changes what is computed. */
export interface TransportTuning {
  /** First backoff ceiling. Default 500 ms. */
  retryBaseMs?: number;
  /** Largest backoff ceiling. Default 30000 ms. */
  retryMaxMs?: number;
  /** Largest Retry-After honoured. Default 60000 ms. */
  retryAfterMaxMs?: number;
  /** First bench of a failed endpoint. Default 5000 ms: a dead replica costs a request every few seconds, a restarted one is back soon. */
  benchBaseMs?: number;
  /** Longest bench (it doubles per consecutive failure). Default 60000 ms: a replica that comes back is used again within a minute. */
  benchMaxMs?: number;
  /** Jitter source in [0, 1). Default Math.random (jitter only spreads retries; it never changes a result). */
  rng?: () => number;
}

export type OpenAIModelOptions = OpenAISpec & TransportTuning;

export type SpecResult = { ok: true; value: OpenAISpec } | { ok: false; error: OpenAIError & { code: "bad_spec" } };

const bad = (spec: string, message: string): SpecResult => ({ ok: false, error: { code: "bad_spec", spec, message } });

/** Check one base URL; returns it without a trailing slash, or a reason. */
export function checkEndpoint(url: string): { ok: true; value: string } | { ok: false; message: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, message: `"${url}" is not a URL` };
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return { ok: false, message: `"${url}" must use http:// or https://` };
  if (u.username || u.password) {
    return { ok: false, message: `"${u.host}" has credentials in the URL; put the API key in an environment variable and pass its name with --api-key-env NAME (apiKeyEnv) instead` };
  }
  if (u.search || u.hash) return { ok: false, message: `"${url}" must not have a query or fragment` };
  const base = url.replace(/\/+$/, "");
  if (!base.endsWith("/v1")) return { ok: false, message: `"${url}" must end in /v1 (e.g. http://127.0.0.1:8000/v1)` };
  return { ok: true, value: base };
}

/** Parse `openai:URL[,URL…]#MODEL`. */
export function parseOpenAISpec(s: string): SpecResult {
  if (!s.startsWith("openai:")) return bad(s, "it does not start with openai:");
  const rest = s.slice("openai:".length);
  const hash = rest.indexOf("#");
  if (hash < 0) return bad(s, "the model name is missing (add #MODEL after the URL)");
  const model = rest.slice(hash + 1).trim();
  if (model === "") return bad(s, "the model name after # is empty");
  const urls = rest.slice(0, hash).split(",").map((x) => x.trim());
  if (urls.length === 0 || urls.some((x) => x === "")) return bad(s, "an endpoint URL is empty");
  const endpoints: string[] = [];
  for (const url of urls) {
    const r = checkEndpoint(url);
    if (!r.ok) return bad(s, r.message);
    endpoints.push(r.value);
  }
  return { ok: true, value: { endpoints, model } };
}

/** Validate an options object (the programmatic twin of parseOpenAISpec). */
export function checkOptions(o: OpenAIModelOptions): { ok: true; value: OpenAIModelOptions } | { ok: false; error: OpenAIError } {
  const where = `openai:${o.endpoints.join(",")}#${o.model}`;
  if (o.endpoints.length === 0) return bad(where, "no endpoints");
  const endpoints: string[] = [];
  for (const url of o.endpoints) {
    const r = checkEndpoint(url);
    if (!r.ok) return bad(where, r.message);
    endpoints.push(r.value);
  }
  if (!o.model) return bad(where, "the model name is empty");
  const positiveInt = (v: number | undefined, name: string, min: number): string | undefined =>
    v === undefined || (Number.isInteger(v) && v >= min) ? undefined : `${name} must be an integer ≥ ${min} (got ${v})`;
  // NOTE: Node's timers treat a delay past 2^31 − 1 ms as 1 ms, which would time out every request
  const tooLong = o.timeoutMs !== undefined && o.timeoutMs > 2 ** 31 - 1 ? `timeoutMs must be at most ${2 ** 31 - 1} (got ${o.timeoutMs})` : undefined;
  const problem = tooLong ??
    positiveInt(o.concurrency, "concurrency", 1) ?? positiveInt(o.timeoutMs, "timeoutMs", 1) ?? positiveInt(o.maxRetries, "maxRetries", 0) ??
    positiveInt(o.benchBaseMs, "benchBaseMs", 0) ?? positiveInt(o.benchMaxMs, "benchMaxMs", 0);
  if (problem) return bad(where, problem);
  if (o.promptLogprobs && !["auto", "echo", "vllm"].includes(o.promptLogprobs)) {
    return bad(where, `promptLogprobs must be auto, echo or vllm (got ${String(o.promptLogprobs)})`);
  }
  if (o.apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.apiKeyEnv)) {
    return bad(where, "apiKeyEnv must be the NAME of an environment variable (letters, digits, _), not the key itself");
  }
  return { ok: true, value: { ...o, endpoints } };
}
