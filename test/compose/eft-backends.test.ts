/**
 * One composition through two backends: the same three models as engine folders (builtin, with
 * KV-cached decoders) and as GGUF files (llama.cpp, full next-token distributions per prefix)
 * give the same composed distribution and the same greedy text; and an eft: model serves
 * over HTTP like any other (completions with echo + logprobs).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAnyModel } from "../../src/compose/index.js";
import { startServer } from "../../src/serve/index.js";
import { engineModel, exportModel } from "../backends/llamacpp/helpers.js";

const dir = await mkdtemp(join(tmpdir(), "ftledger-eft-backends-"));
const files = [];
for (const [i, name] of ["base", "tuned", "ref"].entries()) files.push(await exportModel(engineModel(11 + i), dir, name));
const eft = (kind: "builtin" | "gguf", beta: number) => {
  const at = (name: string) => (kind === "gguf" ? `gguf:${join(dir, `${name}.gguf`)}` : `builtin:${join(dir, `${name}-ckpt`)}`);
  return `eft:base=${at("base")},tuned=${at("tuned")},ref=${at("ref")},beta=${beta}`;
};
const PROMPT = "the cat sat";

describe("eft: across backends", () => {
  it("builtin and gguf parts give the same composed distribution and greedy text", async () => {
    const a = await openAnyModel(eft("builtin", 0.8));
    const b = await openAnyModel(eft("gguf", 0.8));
    const prefix = a.vocab!.encodePrompt(PROMPT);
    expect(b.vocab!.encodePrompt(PROMPT)).toEqual(prefix);
    const [da, db] = [await a.nextTokenLogprobs!(prefix), await b.nextTokenLogprobs!(prefix)];
    const byId = new Map(db.entries.map((e) => [e.id, e.logprob]));
    let worst = 0;
    for (const e of da.entries) worst = Math.max(worst, Math.abs(e.logprob - byId.get(e.id)!));
    expect(worst).toBeLessThan(1e-4);
    const ga = await a.generate({ prompt: PROMPT, maxTokens: 8, temperature: 0 });
    const gb = await b.generate({ prompt: PROMPT, maxTokens: 8, temperature: 0 });
    expect(gb.samples[0].text).toBe(ga.samples[0].text);
    await a.close();
    await b.close();
  });

  it("serves: /v1/completions with echo and logprobs scores the prompt under the composition", async () => {
    const m = await openAnyModel(eft("builtin", 1));
    const server = await startServer(m, { port: 0, host: "127.0.0.1", modelName: "eft" });
    try {
      const res = await fetch(`${server.url}/completions`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "eft", prompt: PROMPT, max_tokens: 3, echo: true, logprobs: 1, temperature: 0 }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { text: string; logprobs: { token_logprobs: (number | null)[] } }[] };
      const lps = body.choices[0].logprobs.token_logprobs;
      expect(lps[0]).toBeNull();
      const direct = await m.scoreTokens!(m.vocab!.encodePrompt(PROMPT), 1);
      direct.forEach((p, i) => expect(lps[i + 1]).toBeCloseTo(p.logprob, 5));
      expect(body.choices[0].text.startsWith(PROMPT)).toBe(true);
    } finally {
      await server.close();
      await m.close();
    }
  });
});
