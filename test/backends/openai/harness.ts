/**
 * Fake servers and clients for one test file: `setup` starts a server and a client on
 * it; clients close after each test, servers after the file. `server`, `open` and
 * `deadUrl` are for tests with several endpoints (replicas); `servers` and `models` are
 * exposed for tests that start or retire one by hand.
 */
import { afterAll, afterEach } from "vitest";
import type { LanguageModel } from "../../../src/backends/language-model.js";
import { createOpenAIModel, type OpenAIModelOptions } from "../../../src/backends/openai/index.js";
import { type FakeServer, type FakeServerOptions, startFakeOpenAIServer } from "../../helpers/fake-openai-server.js";

export function useFakeServers(defaults: Partial<OpenAIModelOptions>) {
  const servers: FakeServer[] = [];
  const models: LanguageModel[] = [];
  afterEach(async () => {
    await Promise.all(models.splice(0).map((m) => m.close()));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  async function server(opts: FakeServerOptions = {}): Promise<FakeServer> {
    const s = await startFakeOpenAIServer(opts);
    servers.push(s);
    return s;
  }
  async function open(endpoints: string[], client: Partial<OpenAIModelOptions> = {}): Promise<LanguageModel> {
    const m = await createOpenAIModel({ endpoints, model: "toy", ...defaults, ...client });
    models.push(m);
    return m;
  }
  async function setup(opts: FakeServerOptions = {}, client: Partial<OpenAIModelOptions> = {}) {
    const s = await server(opts);
    const m = await open([s.url], client);
    return { s, m };
  }
  /** The URL of a server that was started and closed: connections to it are refused. */
  async function deadUrl(): Promise<string> {
    const s = await startFakeOpenAIServer();
    await s.close();
    return s.url;
  }
  return { setup, server, open, deadUrl, servers, models };
}
