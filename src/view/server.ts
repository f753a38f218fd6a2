/** Start `ftledger view` on a port (Hono on Node's HTTP server). */
import { serve, type ServerType } from "@hono/node-server";
import { StoreError } from "../audit/index.js";
import { checkViewStore, viewApp } from "./app.js";

export interface RunningViewServer {
  /** The viewer's address, e.g. http://127.0.0.1:8080/ */
  url: string;
  close(): Promise<void>;
}

/**
 * Serve the viewer over the run store in `storeDir`. Rejects with a StoreError when the
 * folder holds no run store (checkViewStore says why; callers that want the reason as
 * data call it first), and with the listen error when the port is taken.
 */
export function startViewServer(storeDir: string, o: { port: number; host?: string }): Promise<RunningViewServer> {
  const check = checkViewStore(storeDir);
  if (!check.ok) return Promise.reject(new StoreError(check.error));
  const app = viewApp(check.dir);
  const host = o.host ?? "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host; // an IPv6 address goes in brackets
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
