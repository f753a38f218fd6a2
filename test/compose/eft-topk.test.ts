/**
 * EFT over OpenAI-compatible servers (top-k lists, no token ids), against `ftledger serve`
 * serving three engine models: the approximation reports the unseen mass each server's list
 * left (equal to the truth, computed from the engine's full distributions), and where that
 * mass is small the composition agrees with the exact full-vocabulary one.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { composeTopK, EftTopKModel, openAnyModel } from "../../src/compose/index.js";
import { openModel } from "../../src/backends/index.js";
import { startServer } from "../../src/serve/index.js";
import { engineModel, exportModel } from "../backends/llamacpp/helpers.js";

const dir = await mkdtemp(join(tmpdir(), "ftledger-eft-topk-"));
const names = ["base", "tuned", "ref"];

for (const [i, name] of names.entries()) await exportModel(engineModel(21 + i), dir, name);
// "near": the base with a small change, as a fine-tune is (its top tokens overlap the base's)
const near = engineModel(21);
for (let i = 0; i < near.params.flat.length; i++) near.params.flat[i] *= 1 + 0.05 * Math.sin(i);
await exportModel(near, dir, "near");
names.push("near");
const local = await Promise.all(names.map((n) => openModel(`builtin:${join(dir, `${n}-ckpt`)}`)));
const servers = await Promise.all(local.map((m, i) => startServer(m, { port: 0, host: "127.0.0.1", modelName: names[i] })));
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const m of local) await m.close();
});
const remote = `eft:${names.slice(0, 3).map((n, i) => `${n}=openai:${servers[i].url}#${n}`).join(",")},beta=1`;
const exact = `eft:${names.slice(0, 3).map((n) => `${n}=builtin:${join(dir, `${n}-ckpt`)}`).join(",")},beta=1`;
const PROMPT = "the cat sat on";

describe("eft: over OpenAI-compatible servers", () => {
  it("opens as a top-k composition and says it is an approximation", async () => {
    const m = await openAnyModel(remote);
    expect(m).toBeInstanceOf(EftTopKModel);
    expect(m.id).toMatch(/^eft-topk:/);
    const g = await m.generate({ prompt: PROMPT, maxTokens: 4, temperature: 0 });
    expect(g.samples[0].text.length).toBeGreaterThan(0);
    expect((m as EftTopKModel).describe()).toMatch(/^eft over top-20 lists \(an approximation\): over 4 positions, unseen mass up to base/);
    await m.close();
  });

  it("reports each server's unseen mass exactly", async () => {
    const m = (await openAnyModel(remote)) as EftTopKModel;
    const c = await m.generate({ prompt: PROMPT, maxTokens: 1, temperature: 0, logprobs: true });
    // the truth: 1 − the mass of each model's 20 most likely next tokens, keyed by token text as a
    // server's top_logprobs object is (ids that decode to the same text share one key; the last wins)
    const truth = await Promise.all(local.slice(0, 3).map(async (l) => {
      const d = await l.nextTokenLogprobs!(l.vocab!.encodePrompt(PROMPT));
      const record: Record<string, number> = {};
      for (const e of d.entries.slice(0, 20)) record[e.token] = e.logprob;
      return 1 - Object.values(record).reduce((a, x) => a + Math.exp(x), 0);
    }));
    expect(m.approximation.maxMissing.base).toBeCloseTo(truth[0], 4);
    expect(m.approximation.maxMissing.tuned).toBeCloseTo(truth[1], 4);
    expect(m.approximation.maxMissing.ref).toBeCloseTo(truth[2], 4);
    expect(c.samples[0].tokens).toHaveLength(1);
    await m.close();
  });

  it("keeps the exact relative odds of tokens every server returned (β = 0: the base's greedy choice exactly)", async () => {
    const servers3 = await Promise.all(names.map((n, i) => openModel(`openai:${servers[i].url}#${n}`)));
    // base, a near fine-tune of it, ref = the base: many tokens are in every list
    const lists = await Promise.all([servers3[0], servers3[3], servers3[0]].map((x) => x.nextTokenTopK!(PROMPT, 20)));
    const approx = composeTopK(lists[0], lists[1], lists[2], 1);
    const full = await openAnyModel(`eft:base=builtin:${join(dir, "base-ckpt")},tuned=builtin:${join(dir, "near-ckpt")},ref=builtin:${join(dir, "base-ckpt")},beta=1`);
    const d = await full.nextTokenLogprobs!(full.vocab!.encodePrompt(PROMPT));
    const exactByText = new Map<string, number>();
    for (const e of d.entries) if (!exactByText.has(e.token)) exactByText.set(e.token, e.logprob);
    const textCount = new Map<string, number>();
    for (const e of d.entries) textCount.set(e.token, (textCount.get(e.token) ?? 0) + 1);
    // tokens every list returned, whose text belongs to one id only (a server keys top_logprobs by text)
    const common = approx.entries.filter((e) => lists.every((l) => l.has(e.token)) && textCount.get(e.token) === 1);
    expect(common.length).toBeGreaterThanOrEqual(2);
    const [a, b] = common;
    expect(a.logprob - b.logprob).toBeCloseTo(exactByText.get(a.token)! - exactByText.get(b.token)!, 4);
    const zero = await openAnyModel(remote.replace("beta=1", "beta=0"));
    const z = await zero.generate({ prompt: PROMPT, maxTokens: 3, temperature: 0 });
    const base = await local[0].generate({ prompt: PROMPT, maxTokens: 3, temperature: 0 });
    expect(z.samples[0].text).toBe(base.samples[0].text);
    for (const x of [...servers3, full, zero]) await x.close();
  });

  it("scores a continuation through echoed top-k lists", async () => {
    const m = (await openAnyModel(remote)) as EftTopKModel;
    const s = await m.score({ prompt: PROMPT, continuation: " the" });
    expect(s.tokens.map((t) => t.token).join("")).toBe(" the");
    expect(s.logprob).toBeLessThan(0);
    expect(Number.isFinite(s.logprob)).toBe(true);
    await m.close();
  });
});
