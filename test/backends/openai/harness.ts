/**
 * Fake servers and clients for one test file: `setup` starts a server and a client on
 * it; clients close after each test, servers after the file. `servers` and `models`
 * are exposed for tests that start or retire one by hand.
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
  async function setup(server: FakeServerOptions = {}, client: Partial<OpenAIModelOptions> = {}) {
    const s = await startFakeOpenAIServer(server);
    servers.push(s);
    const m = await createOpenAIModel({ endpoints: [s.url], model: "toy", ...defaults, ...client });
    models.push(m);
    return { s, m };
  }
  return { setup, servers, models };
}
