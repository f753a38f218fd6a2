/**
 * Host and Origin checks for the local servers (`ftledger serve`, `ftledger view`).
 *
 * A web page on any site can make the browser send requests to 127.0.0.1: with DNS
 * rebinding its own name resolves to this machine and it reads the answers (the Host
 * header then carries the attacker's name); without it, it can still send requests
 * (the Origin header then carries the attacker's site). So a request is answered only
 * when its Host names this machine — loopback names and addresses, the address the server
 * is bound to, and the names given with --allow-host — and when its Origin, if it has
 * one, names one of those too.
 */
import { networkInterfaces } from "node:os";
import type { Context, MiddlewareHandler } from "hono";

export interface HostGuardOptions {
  /** The address the server listens on. A wildcard (0.0.0.0, ::) adds this machine's interface addresses. */
  boundHost?: string;
  /** More host names or addresses, each with any port; "*" turns the check off. */
  allowHosts?: readonly string[];
  /** The answer to a refused request, in the app's own error shape (403). */
  refuse: (c: Context, message: string) => Response | Promise<Response>;
}

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARDS = new Set(["", "0.0.0.0", "::", "[::]"]);

/** The host name of a Host header or --allow-host value, lower case, without port; IPv6 in brackets. */
export function hostnameOf(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[")) h = h.slice(0, h.indexOf("]") + 1 || h.length);
  else if ((h.match(/:/g) ?? []).length > 1) h = `[${h}]`; // a bare IPv6 address
  else h = h.replace(/:\d*$/, "");
  return h.replace(/\.$/, ""); // "localhost." is localhost
}

/**
 * The host to print in a server's URL: the bound address, in brackets when IPv6, and a
 * loopback address for a wildcard bind (0.0.0.0 and :: are where it listens, not names it
 * answers to: a browser that reaches 0.0.0.0 is refused like any foreign name).
 */
export function urlHostOf(boundHost: string): string {
  const h = hostnameOf(boundHost);
  if (WILDCARDS.has(h)) return h.includes(":") ? "[::1]" : "127.0.0.1";
  return h;
}

/** The host names a server bound to `boundHost` answers to. */
export function allowedHosts(boundHost: string | undefined, allowHosts: readonly string[] = []): Set<string> {
  const names = new Set(LOOPBACK);
  const bound = hostnameOf(boundHost ?? "");
  if (WILDCARDS.has(bound)) {
    // reaching the server by one of this machine's own addresses is not a rebinding: the
    // page that does it is served from that address
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) names.add(a.family === "IPv6" ? `[${a.address.replace(/%.*$/, "")}]` : a.address);
    }
  } else names.add(bound);
  for (const h of allowHosts) names.add(hostnameOf(h));
  return names;
}

/** A Hono middleware that answers a request with a foreign Host or Origin with `refuse` (403). */
export function hostGuard(o: HostGuardOptions): MiddlewareHandler {
  const any = (o.allowHosts ?? []).includes("*");
  const names = allowedHosts(o.boundHost, o.allowHosts);
  const list = [...names].slice(0, 6).join(", ") + (names.size > 6 ? ", …" : "");
  return async (c, next) => {
    if (any) return next();
    // HTTP/1.1 requires Host; without one (HTTP/1.0, or app.fetch in tests) the URL says where it went
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    const name = hostnameOf(host);
    if (!names.has(name)) {
      return o.refuse(c, `this server does not answer to the host name "${name}" (it answers to ${list}); a web page may be trying to reach it through DNS rebinding. If you reach it by that name yourself, restart it with --allow-host ${name}.`);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      let from: string | null = null;
      try {
        from = new URL(origin).hostname.toLowerCase();
      } catch {
        // "null" (a sandboxed page, a file) or garbage: not one of ours
      }
      if (from === null || !names.has(from)) {
        return o.refuse(c, `requests from web pages at ${JSON.stringify(origin)} are refused (Origin header): only pages served from ${list} may call this server. To let that site call it, restart the server with --allow-host ${from ?? "<its host name>"}.`);
      }
    }
    return next();
  };
}
