/**
 * What a POST body must be before it is read: JSON (415 otherwise: a web page can send
 * text/plain or a form to another site without asking first, but not JSON), and no larger
 * than the limit (413) — checked from Content-Length before reading, and while reading a
 * chunked body, so an oversized body is never held in memory.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

type Refuse = (c: Context, status: 413 | 415, message: string) => Response | Promise<Response>;

/** A Hono middleware for the POST routes: JSON content type, body of at most `maxBytes`. */
export function jsonBody(maxBytes: number, refuse: Refuse): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      const length = c.req.header("content-length");
      const size = length !== undefined ? `${length} bytes` : `more than ${maxBytes} bytes`;
      return refuse(c, 413, `the request body is ${size}; this server takes at most ${maxBytes} bytes (--max-body-bytes). Send fewer or shorter prompts per request, or restart the server with a larger --max-body-bytes.`);
    },
  });
  return async (c, next) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") {
      return refuse(c, 415, `the request body must be JSON, sent with the header \`Content-Type: application/json\` (got ${type ? `"${type}"` : "none"})`);
    }
    return limit(c, next);
  };
}
