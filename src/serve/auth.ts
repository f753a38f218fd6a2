/**
 * Optional bearer-token auth (`ftledger serve --api-key-env NAME`). The key is compared
 * in constant time: both sides are hashed first, so the comparison neither stops at the
 * first differing byte nor depends on the lengths.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** A Hono middleware that answers requests without `Authorization: Bearer <key>` with `refuse` (401). */
export function bearerAuth(key: string, refuse: (c: Context, message: string) => Response | Promise<Response>): MiddlewareHandler {
  const want = digest(key);
  return async (c, next) => {
    const m = /^Bearer +(\S+) *$/i.exec(c.req.header("authorization") ?? "");
    if (!m) return refuse(c, "this server needs an API key: send the header `Authorization: Bearer <key>` (the key the server was started with, in the variable named by --api-key-env)");
    if (!timingSafeEqual(digest(m[1]), want)) return refuse(c, "the API key in the Authorization header is not this server's; use the key the server was started with (--api-key-env)");
    return next();
  };
}
