/**
 * The Host / Origin guard of `ftledger serve` (and `ftledger view`): only this machine's
 * names, the bound address and --allow-host values are answered, so a web page elsewhere
 * cannot reach the server through DNS rebinding or send it requests from its own origin.
 */
import { describe, expect, it } from "vitest";
import { createOpenAIApp, hostnameOf, startServer } from "../../src/serve/index.js";
import { fakeModel, post, type ErrorBody } from "./helpers.js";

const get = (app: { fetch: (r: Request) => Response | Promise<Response> }, headers: Record<string, string>) =>
  app.fetch(new Request("http://127.0.0.1/v1/models", { headers }));

describe("serve: Host and Origin", () => {
  it("reads host names from Host headers and --allow-host values", () => {
    expect(hostnameOf("LocalHost:8000")).toBe("localhost");
    expect(hostnameOf("[::1]:8000")).toBe("[::1]");
    expect(hostnameOf("::1")).toBe("[::1]");
    expect(hostnameOf("127.0.0.1")).toBe("127.0.0.1");
    expect(hostnameOf("example.com.")).toBe("example.com");
  });

  it("bound to a wildcard address, the URL it prints is one it answers (0.0.0.0 itself is refused)", async () => {
    const server = await startServer(fakeModel(), { port: 0, host: "0.0.0.0", modelName: "m" });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect((await fetch(server.url + "/models")).status).toBe(200);
      const port = new URL(server.url).port;
      expect((await fetch(`http://0.0.0.0:${port}/v1/models`)).status).toBe(403);
    } finally {
      await server.close();
    }
  });

  it("answers loopback names with any port, refuses another Host with 403", async () => {
    const app = createOpenAIApp(fakeModel(), { boundHost: "127.0.0.1" });
    for (const host of ["localhost", "localhost:8000", "127.0.0.1:1234", "[::1]:8000", "LOCALHOST:9"]) {
      expect((await get(app, { host })).status, host).toBe(200);
    }
    const evil = await get(app, { host: "evil.example" });
    expect(evil.status).toBe(403);
    const body = (await evil.json()) as ErrorBody;
    expect(body.error.type).toBe("permission_error");
    expect(body.error.message).toMatch(/"evil.example".*DNS rebinding.*--allow-host evil.example/);
    // the guard comes before everything else: no completion for a foreign host either
    const model = fakeModel();
    const guarded = createOpenAIApp(model);
    expect((await guarded.fetch(post("/v1/completions", { prompt: "a", max_tokens: 1 }, { host: "evil.example:8000" }))).status).toBe(403);
    expect(model.prompts).toEqual([]);
  });

  it("answers the bound address and --allow-host names; * answers any", async () => {
    const app = createOpenAIApp(fakeModel(), { boundHost: "10.1.2.3", allowHosts: ["box.lan", "::2"] });
    for (const host of ["10.1.2.3:8000", "box.lan", "BOX.LAN:80", "[::2]:8000"]) expect((await get(app, { host })).status, host).toBe(200);
    expect((await get(app, { host: "10.1.2.4" })).status).toBe(403);
    const any = createOpenAIApp(fakeModel(), { allowHosts: ["*"] });
    expect((await get(any, { host: "whatever.example", origin: "https://whatever.example" })).status).toBe(200);
  });

  it("refuses a request whose Origin is another site, or opaque", async () => {
    const app = createOpenAIApp(fakeModel());
    const evil = await get(app, { host: "127.0.0.1:8000", origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as ErrorBody).error.message).toMatch(/"https:\/\/evil.example".*Origin.*--allow-host evil.example/);
    expect((await get(app, { host: "127.0.0.1:8000", origin: "null" })).status).toBe(403);
    expect((await get(app, { host: "127.0.0.1:8000", origin: "http://localhost:5173" })).status).toBe(200);
  });
});
