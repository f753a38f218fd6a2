/** Errors in OpenAI's shape: { error: { message, type, param, code } }. */
import type { Context } from "hono";

export type ApiStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500;

const TYPES: Partial<Record<ApiStatus, string>> = {
  401: "authentication_error", 403: "permission_error", 429: "rate_limit_error", 500: "server_error",
};
const CODES: Partial<Record<ApiStatus, string>> = {
  401: "invalid_api_key", 413: "request_too_large", 415: "unsupported_media_type", 429: "rate_limit_exceeded",
};

export function apiError(c: Context, status: ApiStatus, message: string, param: string | null = null): Response {
  return c.json({ error: { message, type: TYPES[status] ?? "invalid_request_error", param, code: CODES[status] ?? null } }, status);
}

/** The answer to a request whose client has gone (nginx's 499): nobody reads it. */
export const clientGone = (): Response => new Response(null, { status: 499 });
