/** Start the OpenAI-compatible server on a port (Hono on Node's HTTP server). */
import { serve, type ServerType } from "@hono/node-server";
import type { LanguageModel } from "../backends/index.js";
import { createOpenAIApp, type ServeOptions } from "./openai-app.js";
import { urlHostOf } from "./guard.js";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export function startServer(model: LanguageModel, o: ServeOptions & { port: number; host?: string }): Promise<RunningServer> {
  const host = o.host ?? "127.0.0.1";
  const app = createOpenAIApp(model, { boundHost: host, ...o });
  const urlHost = urlHostOf(host);
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve({ fetch: app.fetch, port: o.port, hostname: host }, (info) => {
        resolve({
          url: `http://${urlHost}:${info.port}/v1`,
          close: () => new Promise((res) => server.close(() => res())),
        });
      });
      server.on("error", reject);
    } catch (e) {
      reject(e);
    }
  });
}
