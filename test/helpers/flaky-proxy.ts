/**
 * A loopback HTTP proxy in front of a real OpenAI-compatible server (e.g. `ftledger serve`)
 * that misbehaves on a fixed schedule of POSTs, so a test can check that a whole audit
 * through it comes out byte-identical to one without it. Faults by POST number n (1-based),
 * cycling through `schedule`: "ok" forwards; "slow" forwards after `slowMs`; "503" answers
 * 503 with Retry-After: 0; "429" answers 429 with Retry-After: 0; "drop" destroys the
 * socket before any byte; "garbage" answers 200 with a body that is not JSON.
 * GETs (GET /v1/models at open) always pass through.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type ProxyFault = "ok" | "slow" | "503" | "429" | "drop" | "garbage";

export interface FlakyProxy {
  /** e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  /** Faults injected so far, by kind. */
  injected: Record<ProxyFault, number>;
  close(): Promise<void>;
}

export async function startFlakyProxy(upstream: string, schedule: readonly ProxyFault[], o: { slowMs?: number } = {}): Promise<FlakyProxy> {
  const target = new URL(upstream);
  const injected: Record<ProxyFault, number> = { ok: 0, slow: 0, "503": 0, "429": 0, drop: 0, garbage: 0 };
  let posts = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    up.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method !== "POST") return forward(req, res, body);
      const fault = schedule[posts++ % schedule.length];
      injected[fault]++;
      switch (fault) {
        case "ok":
          return forward(req, res, body);
        case "slow":
          return void setTimeout(() => forward(req, res, body), o.slowMs ?? 200);
        case "503":
        case "429":
          res.writeHead(Number(fault), { "content-type": "application/json", "retry-after": "0" });
          return void res.end(JSON.stringify({ error: { message: `injected ${fault}`, type: "server_error" } }));
        case "drop":
          return void req.socket.destroy();
        case "garbage":
          res.writeHead(200, { "content-type": "application/json" });
          return void res.end("{\"choices\": [ this is not json");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    injected,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
