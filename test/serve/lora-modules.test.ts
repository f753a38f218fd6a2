/**
 * `ftledger serve BASE --lora-modules NAME=DIR …` (vLLM's flag): `/v1/models` lists the base
 * and every adapter by name, a request's `model` picks the arm, an unknown name is a 404
 * naming those served, and `openai:URL#NAME` audits an adapter through HTTP with the
 * log-probs of `builtin:BASE+lora:DIR` opened directly (the base name: the base's).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loraModuleSpecs, openModel, type LanguageModel } from "../../src/backends/index.js";
import { writePeftAdapter } from "../../src/formats/index.js";
import { createTsKernels } from "../../src/tensor/index.js";
import { randomAdapter } from "../formats/lora-fixtures.js";
import { tempDir } from "../formats/helpers.js";
import { saveModel, seededParams, TINY } from "../weights/models.js";
import { ftledger } from "../cli/run-cli.js";

const root = join(import.meta.dirname, "..", "..");
const dir = await tempDir("lora-modules");
const base = await saveModel(join(dir, "base"), seededParams(TINY, 8));
const adapters: string[] = [];
for (const seed of [81, 82]) {
  const a = join(dir, `adapter-${seed}`);
  await writePeftAdapter(a, randomAdapter(TINY, { seed, r: 2, alpha: 4, targets: ["q_proj", "v_proj", "up_proj"] }), { baseModel: base });
  adapters.push(a);
}
const texts = [{ prompt: "the cat ", continuation: "sat on" }, { prompt: "12+3=", continuation: "15" }, { prompt: "hello", continuation: " world" }];

/** Each text's continuation log-prob and its tokens' log-probs. */
async function scores(m: LanguageModel): Promise<number[][]> {
  const out = await m.scoreBatch(texts);
  return out.map((s) => [s.logprob, ...s.tokens.map((t) => t.logprob)]);
}

const opened: LanguageModel[] = [];
afterAll(async () => {
  for (const m of opened) await m.close();
});

describe("loraModuleSpecs", () => {
  it("makes each NAME=PATH an adapter spec over the served base, and names what is wrong", () => {
    expect(loraModuleSpecs("builtin:zoo/base-m", ["math=runs/a", "chat=b@0.5"])).toEqual({
      ok: true, value: [{ name: "math", path: "runs/a", spec: "builtin:zoo/base-m+lora:runs/a" }, { name: "chat", path: "b@0.5", spec: "builtin:zoo/base-m+lora:b@0.5" }],
    });
    expect(loraModuleSpecs("gguf:m.gguf", ["x=a.gguf"])).toEqual({ ok: true, value: [{ name: "x", path: "a.gguf", spec: "gguf:m.gguf+lora:a.gguf" }] });
    const err = (r: ReturnType<typeof loraModuleSpecs>) => (r.ok ? "" : r.error);
    expect(err(loraModuleSpecs("builtin:zoo/base-m", ["runs/a"]))).toMatch(/"runs\/a" is not NAME=PATH; write e\.g\. --lora-modules math=/);
    expect(err(loraModuleSpecs("builtin:m", ["a=x", "a=y"]))).toMatch(/the name "a" is given twice/);
    expect(err(loraModuleSpecs("openai:http://h/v1#m", ["a=x"]))).toMatch(/takes no LoRA adapter here; serve a builtin: or gguf: base/);
    expect(err(loraModuleSpecs("builtin:m+lora:x", ["a=y"]))).toMatch(/already has an adapter; serve its base \(builtin:m\)/);
    expect(err(loraModuleSpecs("builtin:m", ["a=y@0.5x"]))).toMatch(/--lora-modules a=y@0\.5x: .*"@0\.5x" is not a number/);
  });

  it("the CLI refuses an entry that is not NAME=PATH, or an adapter named like the base, with exit 2", () => {
    const bad = ftledger("serve", `builtin:${base}`, "--port", "0", "--lora-modules", adapters[0]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--lora-modules: ".*adapter-81" is not NAME=PATH/);
    const clash = ftledger("serve", `builtin:${base}`, "--port", "0", "--name", "m", "--lora-modules", `m=${adapters[0]}`);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/--lora-modules m=.*adapter-81: "m" is the base's name; give the adapter another name/);
  }, 30_000);
});

describe("ftledger serve --lora-modules", () => {
  it("serves the base and each adapter by name; openai:URL#NAME scores as the spec opened directly", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), "serve", `builtin:${base}`, "--port", "0", "--name", "tiny", "--lora-modules", `a81=${adapters[0]}`, `a82=${adapters[1]}@0.5`], { cwd: root });
    let out = "";
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /at (http:\/\/\S+)\n(.*\n){2}/.exec(out); // the URL, then one line per adapter
          if (m) resolve(m[1]);
        });
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain(`as "a81": audit it as openai:${url}#a81`);

      const listed = (await (await fetch(`${url}/models`)).json()) as { data: { id: string; root: string; parent?: string }[] };
      expect(listed.data.map((m) => [m.id, m.parent ?? null])).toEqual([["tiny", null], ["a81", "tiny"], ["a82", "tiny"]]);

      const unknown = await fetch(`${url}/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "a83", prompt: "a", max_tokens: 1 }) });
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: { message: 'model "a83" is not served here; this server serves "tiny", "a81", "a82"', type: "invalid_request_error", param: "model", code: null } });

      const direct = [`builtin:${base}`, `builtin:${base}+lora:${adapters[0]}`, `builtin:${base}+lora:${adapters[1]}@0.5`];
      const names = ["tiny", "a81", "a82"];
      const want: number[][][] = [];
      for (const [i, spec] of direct.entries()) {
        const m = await openModel(spec, { kernels: createTsKernels() });
        opened.push(m);
        want.push(await scores(m));
        expect(listed.data[i].root).toBe(m.id); // the served arm is this model
        const viaHttp = await openModel(`openai:${url}#${names[i]}`);
        opened.push(viaHttp);
        const got = await scores(viaHttp);
        for (const [j, row] of got.entries()) row.forEach((x, k) => expect(x).toBeCloseTo(want[i][j][k], 5));
      }
      // the adapters matter, so a request that reached the wrong arm could not pass
      expect(want[1][0][0]).not.toBeCloseTo(want[0][0][0], 2);
      expect(want[2][0][0]).not.toBeCloseTo(want[1][0][0], 2);
    } finally {
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
