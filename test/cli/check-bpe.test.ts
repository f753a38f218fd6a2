/**
 * `ftledger check` on the zoo's byte-level BPE model through the three backends: the engine,
 * its GGUF export in llama.cpp, and `ftledger serve` over HTTP. Multi-character tokens,
 * merges and token healing on all three paths; they must agree within the default bound.
 * The reference suite scores documents from an empty prompt, which this server (its
 * tokenizer adds no BOS) cannot: the check says so and names the suites to use instead.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel } from "../../src/backends/index.js";
import { exportGguf, ZOO_DIR } from "../../src/formats/index.js";
import { startServer, type RunningServer } from "../../src/serve/index.js";
import { tempDir, unwrap } from "../formats/helpers.js";
import { ftledgerAsync } from "./run-cli.js";

const dir = await tempDir("check-bpe");
const gguf = join(dir, "bpe.gguf");
let server: RunningServer | undefined;

beforeAll(async () => {
  unwrap(await exportGguf(join(ZOO_DIR, "base-m-bpe"), gguf, { dtype: "f32" }));
  server = await startServer(await openModel("builtin:zoo/base-m-bpe"), { port: 0, modelName: "bpe" });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

describe("ftledger check on zoo/base-m-bpe", () => {
  it("builtin, gguf and openai via serve agree", async () => {
    const r = await ftledgerAsync("check", "builtin:zoo/base-m-bpe", `gguf:${gguf}`, `openai:${server!.url}#bpe`, "--suite", "arithmetic", "knowledge", "--n", "6", "--quiet");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // every item's greedy continuation identical: "N | … | N/N | agrees"
    expect(r.stdout).toMatch(/\| gguf:.*bpe\.gguf \| (\d+) \| \d+ \| \d\.\d\de-\d+ \| .* \| \1\/\1 \| agrees \|/);
    expect(r.stdout).toMatch(/\| openai:.*#bpe \| (\d+) \| \d+ \| 0\.00e\+0 \| .* \| \1\/\1 \| agrees \|/);
  }, 120_000);

  it("the default suites through a server without a BOS: exit 2, and the suites to use", async () => {
    const r = await ftledgerAsync("check", "builtin:zoo/base-m-bpe", `openai:${server!.url}#bpe`, "--n", "2", "--quiet");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/empty prompt.*For check, leave out the reference suite: --suite arithmetic\./);
  }, 120_000);
});
