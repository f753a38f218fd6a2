/**
 * `ftledger check`: zoo/base-s through the engine and through llama.cpp (its f32 GGUF
 * export) agrees within the default bound; its Q4_0 export does not, and the check says
 * why; too few specs is a usage error.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkBackends, suiteItems } from "../../src/audit/index.js";
import { openModel, type LanguageModel } from "../../src/backends/index.js";
import { exportGguf, ZOO_DIR } from "../../src/formats/index.js";
import { DEFAULT_WORLD } from "../../src/world/index.js";
import { tempDir, unwrap } from "../formats/helpers.js";
import { ftledger } from "./run-cli.js";

const dir = await tempDir("check");
const f32 = join(dir, "s.gguf");
const q4 = join(dir, "s-q4.gguf");
let engine: LanguageModel;
let viaF32: LanguageModel;
let viaQ4: LanguageModel;
const items = [...suiteItems("reference", DEFAULT_WORLD, 2), ...suiteItems("arithmetic", DEFAULT_WORLD, 2)];
const opts = { bound: 1e-3, greedyShare: 0.9, maxTokens: 12 };

beforeAll(async () => {
  unwrap(await exportGguf(join(ZOO_DIR, "base-s"), f32, { dtype: "f32" }));
  unwrap(await exportGguf(join(ZOO_DIR, "base-s"), q4, { dtype: "q4_0" }));
  engine = await openModel("builtin:zoo/base-s");
  viaF32 = await openModel(`gguf:${f32}`);
  viaQ4 = await openModel(`gguf:${q4}`);
}, 120_000);
afterAll(async () => {
  for (const m of [engine, viaF32, viaQ4]) await m?.close();
});

describe("ftledger check", () => {
  it("the engine and llama.cpp on the f32 export agree; the Q4_0 export differs beyond the bound", async () => {
    const r = await checkBackends({ spec: "builtin", model: engine }, [{ spec: "f32", model: viaF32 }, { spec: "q4", model: viaQ4 }], items, opts);
    const [same, quant] = r.pairs;
    expect(same.verdict).toBe("agrees");
    expect(same.tokens).toBeGreaterThan(50);
    expect(same.max_abs_logprob!).toBeLessThan(1e-4);
    expect(same.greedy.identical).toBe(items.length);
    expect(quant.verdict).toBe("differs");
    expect(quant.max_abs_logprob!).toBeGreaterThan(1e-3);
    expect(quant.reasons[0]).toMatch(/max \|Δ log p\| .* > the bound 0\.001/);
    expect(r.passed).toBe(false);
  }, 120_000);

  it("the command: a table and exit 0 when every backend agrees; exit 2 with one spec", () => {
    const ok = ftledger("check", "builtin:zoo/base-s", `gguf:${f32}`, "--suite", "reference", "--n", "2", "--max-tokens", "8", "--quiet");
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/\| gguf:.*s\.gguf \| 2 \| \d+ \| \d\.\d\de-\d+ \|/);
    expect(ok.stdout).toMatch(/check: passed/);
    const one = ftledger("check", "builtin:zoo/base-s");
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/give at least two model specs/);
  }, 120_000);
});
