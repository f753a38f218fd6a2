/**
 * Token healing on the builtin backend (src/backends/healing.ts): the byte-level BPE zoo
 * model answers the world's closed-book questions by greedy generation once the prompt's
 * trailing space is healed (it wrote after a lone " " token before, recall ≈ 3%), and the
 * lab's character model (zoo/base-m) generates exactly as before: same text, same logprobs,
 * compared against values recorded from the code before healing existed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModel } from "../../src/backends/index.js";
import type { LanguageModel } from "../../src/backends/language-model.js";
import { KNOWLEDGE_DEFAULTS, knowledgeTask } from "../../src/world/knowledge/index.js";

const items = knowledgeTask.items({ config: KNOWLEDGE_DEFAULTS, seed: 1, split: "id", n: 30 });
let bpe: LanguageModel;
let char: LanguageModel;

beforeAll(async () => {
  bpe = await openModel("builtin:zoo/base-m-bpe");
  char = await openModel("builtin:zoo/base-m");
});
afterAll(async () => {
  await bpe?.close();
  await char?.close();
});

describe("token healing, builtin backend", () => {
  it("zoo/base-m-bpe recalls ≥ 90% of 30 knowledge facts by greedy generation, answers without a leading space", async () => {
    const gens = await bpe.generateBatch(items.map((it) => ({ prompt: it.prompt, maxTokens: 8, temperature: 0, stop: ["\n"], logprobs: true })));
    const texts = gens.map((g) => g.samples[0].text);
    const correct = items.filter((it, i) => knowledgeTask.verify(it, texts[i]).correct).length;
    expect(correct, JSON.stringify(texts)).toBeGreaterThanOrEqual(27);
    for (const t of texts) expect(t.startsWith(" "), JSON.stringify(t)).toBe(false);
    // the exact answer itself, not just after trimming
    expect(texts.filter((t, i) => t === items[i].answerText).length).toBeGreaterThanOrEqual(27);
    // the first token carries the healed space, with a logprob renormalised over the allowed tokens (≤ 0, finite)
    const first = gens[0].samples[0].tokens![0];
    expect(bpe.vocab!.decode([first.id!]).startsWith(" ")).toBe(true);
    expect(Number.isFinite(first.logprob) && first.logprob <= 0).toBe(true);
  });

  it("generate, generateBatch, a signal and a stream give the same healed text", async () => {
    const req = { prompt: items[0].prompt, maxTokens: 8, temperature: 0, stop: ["\n"] };
    const one = (await bpe.generate(req)).samples[0].text;
    const signalled = (await bpe.generate({ ...req, signal: new AbortController().signal })).samples[0].text;
    const batched = (await bpe.generateBatch([req, { ...req, signal: new AbortController().signal }])).map((g) => g.samples[0].text);
    let streamed = "";
    for await (const e of bpe.generateStream!(req)) streamed += e.delta;
    expect([signalled, ...batched, streamed]).toEqual([one, one, one, one]);
    expect(one).toBe(items[0].answerText);
  });

  it("stop strings count from the original prompt's end: a prompt ending in a newline, stop at a newline", async () => {
    // without stripping the healed "\n" first, the stop string would match at once and return ""
    const g = await bpe.generate({ prompt: "Fact check. What is the job of Vili?\n", maxTokens: 12, temperature: 0, stop: ["\n"], logprobs: true });
    expect(g.samples[0].text.length).toBeGreaterThan(0);
    expect(g.samples[0].text.startsWith("\n")).toBe(false);
    // healed: the first token spells the newline the prompt ended in
    expect(bpe.vocab!.decode([g.samples[0].tokens![0].id!]).startsWith("\n")).toBe(true);
  });

  it("sampled healed generation is decided by the seed", async () => {
    const req = { prompt: items[1].prompt, maxTokens: 6, temperature: 1, seed: 11, n: 3, logprobs: true };
    const a = await bpe.generate(req);
    const b = await bpe.generate(req);
    expect(a).toEqual(b);
    for (const s of a.samples) expect(bpe.vocab!.decode([s.tokens![0].id!]).startsWith(" ")).toBe(true);
  });

  it("the character model zoo/base-m is not healed: text and logprobs as recorded before healing existed", async () => {
    for (const [i, want] of CHAR_GREEDY.entries()) {
      const g = await char.generate({ prompt: items[i].prompt, maxTokens: 8, temperature: 0, logprobs: true, stop: ["\n"] });
      expect(g.samples[0].text).toBe(want.text);
      expectLogprobs(g.samples[0].tokens!.map((t) => t.logprob), want.lps);
    }
    for (const want of CHAR_SAMPLED) {
      const g = await char.generate({ prompt: want.prompt, maxTokens: 12, temperature: 1.3, seed: 3, logprobs: true, n: 2 });
      expect(g.samples.map((s) => s.text)).toEqual(want.samples.map((s) => s.text));
      g.samples.forEach((s, k) => expectLogprobs(s.tokens!.map((t) => t.logprob), want.samples[k].lps));
    }
  });
});

/**
 * The recorded values came from the native kernels; the wasm and ts kernels round differently
 * in the last bits (CI without OpenBLAS runs wasm), so log-probs compare to 1e-5: a healed
 * first token would move them by far more (its log-prob is renormalised).
 */
function expectLogprobs(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((x, i) => expect(Math.abs(x - want[i]), `token ${i}: ${x} vs ${want[i]}`).toBeLessThan(1e-5));
}

// recorded with the code before token healing (builtin backend, zoo/base-m, native kernels)
const CHAR_GREEDY = [{"text": "farmer", "lps": [-0.0009766598706644203, -0.00023702798450564444, -8.061657434765834e-05, -9.003514524152934e-06, -1.8654688673791497e-06, -1.2218120204465777e-06]}, {"text": "Laar", "lps": [-0.0036067848814536063, -0.0016159140370923808, -0.0005272639556004322, -6.413953481398948e-05]}, {"text": "blue", "lps": [-0.0032173380571496324, -0.0018241915882661885, -0.00043630969650720886, -1.139528837512671e-06]}];
const CHAR_SAMPLED = [{"prompt": "The farmer ", "samples": [{"text": "Lasi is know", "lps": [-2.763717257183284, -0.02196345816982692, -0.004556972384110125, -3.442843106782334e-05, -0.00046671917647067573, -3.574434416364625e-05, -7.402484499152706e-06, -1.2213729299048737e-06, -3.4250155994897113e-05, -5.75833439953044e-06, -1.5659542718537978e-05, -3.202989945805257e-05]}, {"text": "around.", "lps": [-4.538158499401302, -0.0069018818985586705, -2.6849484342506003e-05, -0.000979144927843123, -1.6839346859143234e-05, -7.332253652236886e-05, -5.1204272534022266e-05]}]}, {"prompt": "Fact check. Where does\n", "samples": [{"text": "x3 = 2 + 6 #", "lps": [-2.0207722382978766, -0.816588808345589, -7.508717168036583e-07, -0.00933738977140841, -1.0469989710770733e-06, -2.451637520483101, -0.13531262359261476, -0.8646372720105919, -0.0005439195557812582, -2.8338189911263036, -1.489534053433772e-06, -0.029172437966554554]}, {"text": "Tior 16. She", "lps": [-3.919645567460474, -1.189324364491359, -0.020635383863231382, -0.2865829825293833, -0.09034778270943811, -1.711710744575229, -2.1774733978977547, -4.691293464621111, -0.08239192920295224, -0.9546475507259782, -0.013938673188800266, -1.7472425462017327e-06]}]}];
