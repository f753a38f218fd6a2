/**
 * The model's `id`: a hash of the endpoint list (sorted), the model name and whatever
 * version the servers report (best effort: `/v1/models` root and owned_by, vLLM's
 * `/version`). Caches and reports key on it; the API key is never part of it.
 *
 * NOTE: `created` in /v1/models is not used: vLLM fills it with the time of the request.
 * NOTE: a server that is down while the model is opened contributes no version, so the
 * id then differs from the one seen when it is up; the model name and endpoints still pin it.
 * Replicas that report the same version give the same id whether one of them is down or not.
 * NOTE: the id holds the endpoint list, never the endpoint that serves a request, so the
 * request cache gives the same answer whichever replica computed it.
 */
import { sha256Text } from "../../random/index.js";
import type { OpenAIError } from "./errors.js";
import type { Transport } from "./transport.js";

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Metadata requests are short: they only decorate the id. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * What the servers say about the model, all endpoints at once (a hung replica costs one
 * metadata timeout, not one per endpoint). `unreachable`: endpoints that could not be
 * reached at all (refused, reset, timed out), so the caller can bench them.
 */
export async function serverVersions(
  transport: Transport,
  endpoints: readonly string[],
  model: string,
  timeoutMs: number,
): Promise<{ ok: true; versions: string[]; unreachable: string[] } | { ok: false; error: OpenAIError }> {
  const t = Math.min(timeoutMs, PROBE_TIMEOUT_MS);
  const found = await Promise.all(endpoints.map((e) => endpointVersions(transport, e, model, t)));
  const versions = new Set<string>();
  const unreachable: string[] = [];
  for (const [i, r] of found.entries()) {
    if (!r.ok) return r; // the first endpoint's error, in the spec's order
    if (r.unreachable) unreachable.push(endpoints[i]);
    for (const v of r.versions) versions.add(v);
  }
  return { ok: true, versions: [...versions].sort(), unreachable };
}

async function endpointVersions(
  transport: Transport,
  endpoint: string,
  model: string,
  t: number,
): Promise<{ ok: true; versions: string[]; unreachable: boolean } | { ok: false; error: OpenAIError }> {
  const models = await transport.get(endpoint, "/models", t);
  if (!models.ok) {
    const code = models.error.code;
    if (code === "auth" || code === "missing_api_key") return models;
    // best effort: the server may not implement /v1/models
    return { ok: true, versions: [], unreachable: code === "connection" || code === "timeout" };
  }
  const versions: string[] = [];
  const data = isObj(models.json) && Array.isArray(models.json.data) ? (models.json.data as unknown[]).filter(isObj) : [];
  const entry = data.find((m) => m.id === model);
  if (data.length > 0 && !entry) {
    return { ok: false, error: { code: "unknown_model", endpoint, model, available: data.map((m) => String(m.id)) } };
  }
  if (entry) {
    for (const field of ["root", "owned_by"] as const) if (typeof entry[field] === "string") versions.push(`${field}=${entry[field]}`);
  }
  const v = await transport.get(endpoint.replace(/\/v1$/, ""), "/version", t);
  if (v.ok && isObj(v.json) && typeof v.json.version === "string") versions.push(`version=${v.json.version}`);
  return { ok: true, versions, unreachable: false };
}

/** `chat`: generation through the server's chat template changes results, so it is part of the id. */
export function modelId(endpoints: readonly string[], model: string, versions: readonly string[], chat = false): string {
  const content = JSON.stringify({ endpoints: [...endpoints].sort(), model, versions: [...versions].sort(), ...(chat ? { chat } : {}) });
  return `openai:${model}@${sha256Text(content).slice(0, 16)}`;
}
