/** Start `ftledger view` on a port (Hono on Node's HTTP server). */
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { hostGuard, urlHostOf } from "../serve/index.js";
import { checkViewStore, viewApp } from "./app.js";
import { messagePage } from "./pages.js";

export interface RunningViewServer {
  /** The viewer's address, e.g. http://127.0.0.1:8080/ */
  url: string;
  close(): Promise<void>;
}

/**
 * Serve the viewer over the run store in `storeDir`. Rejects with a StoreError when the
 * folder holds no run store (checkViewStore says why; callers that want the reason as
 * data call it first), and with the listen error when the port is taken.
 *
 * Only requests whose Host (and Origin, when sent) name this machine, the bound address
 * or one of `allowHosts` are answered (403 otherwise): a web page on another site must
 * not read the store through DNS rebinding (see src/serve's guard).
 */
export function startViewServer(storeDir: string, o: { port: number; host?: string; allowHosts?: string[] }): Promise<RunningViewServer> {
  const check = checkViewStore(storeDir);
  if (!check.ok) return Promise.reject(check.cause);
  const host = o.host ?? "127.0.0.1";
  const inner = viewApp(check.dir);
  const app = new Hono();
  app.use("*", hostGuard({
    boundHost: host,
    allowHosts: o.allowHosts,
    refuse: (c, message) => (c.req.path.startsWith("/api/") ? c.json({ error: { message } }, 403) : c.html(messagePage(403, "Not answered", message), 403)),
  }));
  app.all("*", (c) => inner.fetch(c.req.raw, c.env));
  const urlHost = urlHostOf(host);
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve({ fetch: app.fetch, port: o.port, hostname: host }, (info) => {
        resolve({
          url: `http://${urlHost}:${info.port}/`,
          close: () => new Promise((res) => server.close(() => res())),
        });
      });
      server.on("error", reject);
    } catch (e) {
      reject(e);
    }
  });
}
