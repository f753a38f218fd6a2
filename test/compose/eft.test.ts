/**
 * Emulated fine-tuning: the composition rule against a float64 hand computation, the two
 * identities (β = 0 is the base; β = 1 with base = ref is the tuned model), determinism, the
 * decoder-less path, and refusal of models that do not share a vocabulary.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeLogprobs, composeTopK, openAnyModel, parseEftSpec } from "../../src/compose/index.js";
import { openModel, type LanguageModel } from "../../src/backends/index.js";
import { saveModel, seededParams, tempDir, TINY } from "../weights/models.js";

const dir = await tempDir("eft");
const small = { ...TINY, contextLength: 64 };
await saveModel(join(dir, "large"), seededParams(small, 1), { config: small });
await saveModel(join(dir, "tuned"), seededParams(small, 2), { config: small });
await saveModel(join(dir, "ref"), seededParams(small, 3), { config: small });
const spec = (beta: number, base = "large", ref = "ref") => `eft:base=builtin:${join(dir, base)},tuned=builtin:${join(dir, "tuned")},ref=builtin:${join(dir, ref)},beta=${beta}`;
const PROMPT = "Problem: 3 + 4";

describe("composeLogprobs", () => {
  it("is log p_b + β(log p_t − log p_r), renormalised (float64 hand computation)", () => {
    const b = [Math.log(0.5), Math.log(0.3), Math.log(0.2)];
    const t = [Math.log(0.1), Math.log(0.6), Math.log(0.3)];
    const r = [Math.log(0.2), Math.log(0.2), Math.log(0.6)];
    const beta = 1.5;
    // unnormalised: p_b · (p_t / p_r)^β
    const u = [0.5 * (0.1 / 0.2) ** beta, 0.3 * (0.6 / 0.2) ** beta, 0.2 * (0.3 / 0.6) ** beta];
    const z = u.reduce((a, x) => a + x, 0);
    const got = composeLogprobs(b, t, r, beta);
    u.forEach((x, i) => expect(Math.abs(got[i] - Math.log(x / z))).toBeLessThan(1e-12));
  });

  it("keeps a token neither small model can produce at the base's value, and fails loudly on a size mismatch", () => {
    const got = composeLogprobs([Math.log(0.5), Math.log(0.5)], [0, -Infinity], [0, -Infinity], 1);
    expect(got[1]).toBeCloseTo(Math.log(0.5), 12);
    expect(() => composeLogprobs([0], [0, 1], [0], 1)).toThrow(/vocabularies of 1, 2 and 1/);
  });
});

describe("composeTopK", () => {
  it("equals the full composition when every model returned every token", () => {
    const b = new Map([["a", Math.log(0.7)], ["b", Math.log(0.3)]]);
    const t = new Map([["a", Math.log(0.4)], ["b", Math.log(0.6)]]);
    const r = new Map([["a", Math.log(0.5)], ["b", Math.log(0.5)]]);
    const c = composeTopK(b, t, r, 1);
    const full = composeLogprobs([Math.log(0.7), Math.log(0.3)], [Math.log(0.4), Math.log(0.6)], [Math.log(0.5), Math.log(0.5)], 1);
    expect(c.entries.find((e) => e.token === "a")!.logprob).toBeCloseTo(full[0], 12);
    expect(c.standIn).toBe(0);
    expect(c.missing.base).toBeCloseTo(0, 12);
  });

  it("reports each model's unseen mass and the mass resting on stand-ins", () => {
    const c = composeTopK(new Map([["a", Math.log(0.6)]]), new Map([["a", Math.log(0.5)], ["b", Math.log(0.3)]]), new Map([["a", Math.log(0.5)]]), 1);
    expect(c.missing.base).toBeCloseTo(0.4, 12);
    expect(c.missing.tuned).toBeCloseTo(0.2, 12);
    expect(c.entries.map((e) => e.token)).toEqual(["a", "b"]);
    expect(c.standIn).toBeCloseTo(Math.exp(c.entries[1].logprob), 12); // only "b" needed stand-ins
  });
});

describe("eft: specs", () => {
  it("parses parts that contain commas and colons, and names what is wrong", () => {
    const p = parseEftSpec("eft:base=openai:http://a:1/v1,http://b:2/v1#m,tuned=builtin:x,ref=gguf:r.gguf,beta=0.5");
    expect(p).toEqual({ ok: true, value: { base: "openai:http://a:1/v1,http://b:2/v1#m", tuned: "builtin:x", ref: "gguf:r.gguf", beta: 0.5 } });
    expect(parseEftSpec("eft:base=builtin:x,tuned=builtin:y")).toMatchObject({ ok: false, error: expect.stringMatching(/ref= is missing/) });
    expect(parseEftSpec("eft:base=a,tuned=b,ref=c,beta=x")).toMatchObject({ ok: false, error: expect.stringMatching(/beta=x is not a finite number/) });
  });
});

async function lp(m: LanguageModel, text: string): Promise<Float64Array> {
  const d = await m.nextTokenLogprobs!(m.vocab!.encodePrompt(text));
  const out = new Float64Array(Math.max(...d.entries.map((e) => e.id + 1)));
  for (const e of d.entries) out[e.id] = e.logprob;
  return out;
}

describe("EftModel on the engine", () => {
  it("β = 0 reproduces the base, and β = 1 with base = ref the tuned model", async () => {
    const large = await openModel(`builtin:${join(dir, "large")}`);
    const tuned = await openModel(`builtin:${join(dir, "tuned")}`);
    const zero = await openAnyModel(spec(0));
    const one = await openAnyModel(spec(1, "ref", "ref"));
    const [a, b] = [await lp(large, PROMPT), await lp(zero, PROMPT)];
    a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-6));
    const [c, d] = [await lp(tuned, PROMPT), await lp(one, PROMPT)];
    c.forEach((x, i) => expect(Math.abs(x - d[i])).toBeLessThan(1e-6));
    const g0 = await zero.generate({ prompt: PROMPT, maxTokens: 12, temperature: 0 });
    const gl = await large.generate({ prompt: PROMPT, maxTokens: 12, temperature: 0 });
    expect(g0.samples[0].text).toBe(gl.samples[0].text);
    const s0 = await zero.score({ prompt: PROMPT, continuation: " = 7" });
    const sl = await large.score({ prompt: PROMPT, continuation: " = 7" });
    expect(Math.abs(s0.logprob - sl.logprob)).toBeLessThan(1e-5);
    for (const m of [large, tuned, zero, one]) await m.close();
  });

  it("matches the composition computed from the three models' own distributions, token by token", async () => {
    const m = await openAnyModel(spec(0.7));
    const parts = await Promise.all(["large", "tuned", "ref"].map((n) => openModel(`builtin:${join(dir, n)}`)));
    const [b, t, r] = await Promise.all(parts.map((p) => lp(p, PROMPT)));
    const want = composeLogprobs(b, t, r, 0.7);
    const got = await lp(m, PROMPT);
    want.forEach((x, i) => expect(Math.abs(x - got[i])).toBeLessThan(1e-6));
    // scoring two tokens: the second position uses the KV-cached decoders
    const s = await m.score({ prompt: PROMPT, continuation: " =" });
    const ids = m.vocab!.encodePrompt(PROMPT + " =");
    const after = ids.slice(0, -1);
    const [b2, t2, r2] = await Promise.all(parts.map(async (p) => {
      const d = await p.nextTokenLogprobs!(after);
      const o = new Float64Array(Math.max(...d.entries.map((e) => e.id + 1)));
      for (const e of d.entries) o[e.id] = e.logprob;
      return o;
    }));
    expect(s.tokens[s.tokens.length - 1].logprob).toBeCloseTo(composeLogprobs(b2, t2, r2, 0.7)[ids[ids.length - 1]], 5);
    for (const p of [m, ...parts]) await p.close();
  });

  it("samples deterministically for a seed, and the id covers the parts and β", async () => {
    const m = await openAnyModel(spec(1));
    const a = await m.generate({ prompt: PROMPT, maxTokens: 10, temperature: 1, seed: 7, n: 2, logprobs: true });
    const b = await m.generate({ prompt: PROMPT, maxTokens: 10, temperature: 1, seed: 7, n: 2, logprobs: true });
    expect(a).toEqual(b);
    expect(a.samples[0].tokens!.length).toBeLessThanOrEqual(10);
    expect(m.vocab!.decode(a.samples[0].tokens!.map((t) => t.id!))).toBe(a.samples[0].text);
    const other = await openAnyModel(spec(1.5));
    expect(other.id).not.toBe(m.id);
    await m.close();
    await other.close();
  });

  it("refuses parts that do not share a vocabulary, naming the difference", async () => {
    const wide = { ...small, vocabSize: 120 };
    await saveModel(join(dir, "wide"), seededParams(wide, 4), { config: wide });
    await expect(openAnyModel(spec(1, "wide"))).rejects.toThrow(/cannot compose: base builtin:.*wide and tuned builtin:.*tuned give next-token distributions over 120 and 112 ids/);
  });
});
