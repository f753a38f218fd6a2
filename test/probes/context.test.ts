/**
 * Requests that do not fit the model's context (respond.ts): a scripted model with a
 * context of a few hundred characters throws the builtin backend's context error for
 * longer prompts. For each probe: the run completes, the items whose requests fit get
 * exactly the values they get from the same model without a limit, the others get null
 * with a note that names the context, and any other error still propagates. Then the
 * real thing: zoo/base-m (context 256) on a 300-character prompt.
 */
import { describe, expect, it } from "vitest";
import type { GenerateRequest, LanguageModel, ScoreRequest } from "../../src/backends/index.js";
import {
  accuracyProbe, contextNote, fromWorld, generateFitting, isContextError, scoreFitting,
  type Item, type ItemRecord, type Probe, type ProbeContext,
} from "../../src/probes/index.js";
import { calibrationProbe } from "../../src/probes/calibration.js";
import { diversityProbe } from "../../src/probes/diversity.js";
import { feasibilityProbe } from "../../src/probes/feasibility.js";
import { formatCollapseProbe } from "../../src/probes/format-collapse.js";
import { mistakesProbe } from "../../src/probes/mistakes.js";
import { nearNeighbourProbe } from "../../src/probes/near-neighbour.js";
import { selfVerificationProbe } from "../../src/probes/self-verification.js";
import { earlyAnsweringProbe } from "../../src/probes/early-answering.js";
import { fillerProbe } from "../../src/probes/filler.js";
import { infogainProbe } from "../../src/probes/infogain.js";
import { paraphraseProbe, paraphraseSteps } from "../../src/probes/paraphrase.js";
import { contextLengthOf } from "../../src/probes/respond.js";
import { retentionProbe } from "../../src/probes/retention.js";
import { arithmetic } from "../../src/world/index.js";
import { fakeModel, promptOf, type FakeModel } from "./fake-model.js";
import { arithmeticWorld, collect, probeContext, withModel } from "./helpers.js";

const context = (model: LanguageModel, over: Partial<ProbeContext> = {}) => probeContext(model, { samples: 3, ...over });

/** `m` with a context of `maxChars` characters: longer prompts (prompt + continuation when scoring) throw the builtin's errors. */
function limited(m: FakeModel, maxChars: number): FakeModel {
  const generate = m.generateBatch.bind(m);
  const score = m.scoreBatch.bind(m);
  m.generateBatch = async (reqs: GenerateRequest[]) => {
    const long = reqs.find((r) => promptOf(r).length > maxChars);
    if (long) throw new Error(`a prompt of ${promptOf(long).length} tokens exceeds the context length 256`);
    return generate(reqs);
  };
  m.scoreBatch = async (reqs: ScoreRequest[]) => {
    const i = reqs.findIndex((r) => (r.prompt + r.continuation).length > maxChars);
    if (i >= 0) throw new Error(`item ${i}: prompt + continuation (${(reqs[i].prompt + reqs[i].continuation).length} tokens) exceeds the context length 256`);
    return score(reqs);
  };
  return m;
}

/** `m` whose calls fail with a non-context error once any prompt is longer than `maxChars`. */
function broken(m: FakeModel, maxChars: number): FakeModel {
  const generate = m.generateBatch.bind(m);
  const score = m.scoreBatch.bind(m);
  m.generateBatch = async (reqs) => {
    if (reqs.some((r) => promptOf(r).length > maxChars)) throw new Error("connection refused");
    return generate(reqs);
  };
  m.scoreBatch = async (reqs) => {
    if (reqs.some((r) => (r.prompt + r.continuation).length > maxChars)) throw new Error("HTTP 500: internal server error");
    return score(reqs);
  };
  return m;
}

/**
 * The probe's records with and without the limit (a fresh model from `make` each time),
 * by item id; and that a non-context error at the same limit propagates.
 */
async function runBoth(probe: Probe, make: () => FakeModel, items: readonly Item[], maxChars: number, over: Partial<ProbeContext> = {}) {
  const free = make();
  const tight = limited(make(), maxChars);
  const byId = (rs: ItemRecord[]) => new Map(rs.map((r) => [r.itemId, r]));
  const a = await collect(probe.run(free, items, context(free, over)));
  const b = await collect(probe.run(tight, items, context(tight, over)));
  expect(b.map((r) => r.itemId)).toEqual(a.map((r) => r.itemId));
  const bad = broken(make(), maxChars);
  await expect(collect(probe.run(bad, items, context(bad, over)))).rejects.toThrow(/connection refused|HTTP 500/);
  return { free: byId(a), tight: byId(b) };
}

const CONTEXT_NOTE = /does not fit the (model|scorer)'s context of 256 tokens/;
const pad = (n: number) => `${"x".repeat(n)}\n`;

describe("respond.ts: the fitting helpers", () => {
  it("isContextError and contextNote read the backends' messages", () => {
    for (const msg of [
      "a prompt of 262 tokens exceeds the context length 256",
      "item 0: prompt + continuation (300 tokens) exceeds the context length 256",
      "300 tokens exceed the model's context length 256",
    ]) {
      expect(isContextError(new Error(msg))).toBe(true);
      expect(contextLengthOf(new Error(msg))).toBe(256);
    }
    const llama = new Error("m.gguf: score: prompt + continuation is 300 tokens but the context holds 255 (context size 256 minus one). Shorten it.");
    expect(contextLengthOf(llama)).toBe(256);
    const openai = new Error("http://x/v1: the server rejected the request (HTTP 400: This model's maximum context length is 4096 tokens. However, …)");
    expect(isContextError(openai)).toBe(true);
    expect(contextNote("the prompt", openai)).toBe("the prompt does not fit the model's context of 4096 tokens");
    const server = new Error("http://x/v1: the server rejected the request (HTTP 400: the request exceeds the available context size)");
    expect(contextNote("the prompt", server)).toMatch(/^the prompt does not fit the model's context \(.*available context size/);
    expect(isContextError(new Error("connection refused"))).toBe(false);
    expect(isContextError("context")).toBe(false);
  });

  it("a batch with a context error is retried one by one; misfits are null; other errors propagate", async () => {
    const m = limited(fakeModel({ generate: (req) => `re: ${promptOf(req)}`, logprob: (p, c) => -(p.length + c.length) }), 10);
    const reqs = ["a", "b".repeat(20), "c", "d", "e".repeat(30)].map((prompt): GenerateRequest => ({ prompt, maxTokens: 4 }));
    const misfits: [number, string][] = [];
    const got = await generateFitting(m, reqs, 2, (i, e) => misfits.push([i, e.message]));
    expect(got.map((s) => s?.text ?? null)).toEqual(["re: a", null, "re: c", "re: d", null]);
    expect(misfits.map(([i]) => i)).toEqual([1, 4]);
    expect(misfits[0][1]).toMatch(/context length 256/);
    // batch [a, b…] failed then went one by one; [c, d] fitted; [e…] alone failed
    expect(m.generateBatches).toEqual([1, 2]);

    const scores = await scoreFitting(m, [{ prompt: "p", continuation: "q" }, { prompt: "p", continuation: "q".repeat(20) }], 4);
    expect(scores.map((s) => s?.logprob ?? null)).toEqual([-2, null]);

    const bad = broken(fakeModel({}), 10);
    await expect(generateFitting(bad, reqs, 2)).rejects.toThrow("connection refused");
    await expect(scoreFitting(bad, [{ prompt: "p".repeat(20), continuation: "q" }], 2)).rejects.toThrow("HTTP 500");
    // a context error for the batch, then another error for one request: that one propagates
    let calls = 0;
    const mixed = fakeModel({ generate: () => "ok" });
    mixed.generateBatch = async (rs) => {
      calls++;
      if (rs.length > 1) throw new Error("exceeds the context length 256");
      throw new Error("connection reset");
    };
    await expect(generateFitting(mixed, reqs.slice(0, 2), 2)).rejects.toThrow("connection reset");
    expect(calls).toBe(2);
  });
});

describe("probes on a model with a small context", () => {
  const LIMIT = 150;

  it("task.accuracy: a prompt that does not fit is null with a note; the others are unchanged", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\n", answer: "7", domain: "test" },
      { id: "long", prompt: `Q long ${pad(200)}`, answer: "7", domain: "test" },
      { id: "b", prompt: "Q b\n", answer: "8", domain: "test" },
    ];
    const make = () => fakeModel({ generate: () => "7" });
    const { free, tight } = await runBoth(accuracyProbe, make, items, LIMIT, { batchSize: 3 });
    expect(free.get("long")!.values).toEqual({ accuracy: 1 });
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("b")).toEqual(free.get("b"));
    expect(tight.get("long")!.values).toEqual({ accuracy: null });
    expect(tight.get("long")!.note).toMatch(CONTEXT_NOTE);
  });

  // reasoning items: a short chain; a chain whose later prefixes do not fit; a prompt that does not fit
  const cotItems: Item[] = [
    { id: "a", prompt: "Q a\n", answer: "14", steps: ["gold"], domain: "test" },
    { id: "b", prompt: "Q b\n", answer: "10", steps: ["gold"], domain: "test" },
    { id: "long", prompt: `Q long ${pad(200)}`, answer: "3", steps: ["gold"], domain: "test" },
  ];
  const chains: Record<string, string> = {
    a: "add 2\nadd 5\nadd 7\nAnswer: 14",
    b: `first ${"y".repeat(60)} add 3\nthen ${"z".repeat(60)} add 7\nfinally add 0\nAnswer: 10`,
    long: "add 3\nAnswer: 3",
  };
  const lastNumber = (line: string) => Number(/(\d+)\D*$/.exec(line)?.[1] ?? 0);
  const sumOf = (chain: string) => String(chain.split("\n").filter(Boolean).reduce((a, s) => a + lastNumber(s), 0));
  /** The full response is the item's chain; a forced answer is the sum of the chain before the cue. */
  const cotModel = () =>
    fakeModel({
      generate: (req) => {
        const p = promptOf(req);
        const item = cotItems.find((it) => p.startsWith(it.prompt))!;
        const rest = p.slice(item.prompt.length);
        if (rest === "") return chains[item.id];
        if (!rest.endsWith("Answer: ")) throw new Error(`unexpected prompt ${JSON.stringify(p)}`);
        return `${sumOf(rest.slice(0, -"Answer: ".length))}\nmore`;
      },
      // NLL of the gold answer falls with each step seen
      logprob: (prompt) => -3 + (prompt.match(/\n/g)?.length ?? 0) * 0.25,
    });

  it("faithfulness.early-answering: a prefix that does not fit makes AOC null, accuracy still counts", async () => {
    const { free, tight } = await runBoth(earlyAnsweringProbe, cotModel, cotItems, LIMIT);
    expect(free.get("b")!.values.accuracy).toBe(1);
    expect(free.get("b")!.values.aoc).toBeCloseTo(2 / 3, 12);
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("b")!.values).toEqual({ accuracy: 1, aoc: null });
    expect(tight.get("b")!.note).toMatch(CONTEXT_NOTE);
    expect(tight.get("b")!.note).toMatch(/early answering.*k = 2 of 3/);
    expect(tight.get("b")!.detail.forced).toEqual(["0", "3", null]);
    expect(tight.get("long")!.values).toEqual({ accuracy: null, aoc: null });
    expect(tight.get("long")!.note).toMatch(CONTEXT_NOTE);
  });

  it("faithfulness.filler: a filler prompt that does not fit makes filler-drop null", async () => {
    const { free, tight } = await runBoth(fillerProbe, cotModel, cotItems, LIMIT);
    expect(free.get("b")!.values["filler-drop"]).not.toBeNull();
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("b")!.values).toEqual({ accuracy: 1, "filler-drop": null });
    expect(tight.get("b")!.note).toMatch(/filler-drop is null: the prompt with the filler.*context of 256 tokens/);
    expect(tight.get("long")!.values).toEqual({ accuracy: null, "filler-drop": null });
  });

  it("reasoning.infogain: a scorer prefix that does not fit makes the step gains null", async () => {
    const { free, tight } = await runBoth(infogainProbe, cotModel, cotItems, LIMIT);
    // NLL 2.75 → 2.5 → 2.25 → 2.0; no step's result is the gold 10, so all three count
    expect(free.get("b")!.values["mean-step-gain"]).toBeCloseTo(0.25, 12);
    expect(free.get("b")!.values["total-gain"]).toBeCloseTo(0.75, 12);
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("b")!.values).toEqual({ accuracy: 1, "mean-step-gain": null, "uninformative-share": null, "total-gain": null, "chain-length": 3 });
    expect(tight.get("b")!.note).toMatch(/step gains are null: .*does not fit the scorer's context of 256 tokens.*i = 2, 3/);
    expect(tight.get("long")!.values).toEqual({ accuracy: null, "mean-step-gain": null, "uninformative-share": null, "total-gain": null, "chain-length": null });
  });

  it("faithfulness.paraphrase: a paraphrased chain that does not fit makes paraphrase-kept null", async () => {
    const worlds = arithmeticWorld(3);
    const base = worlds.map(fromWorld);
    const paraLength = (it: Item, w: arithmetic.ArithmeticItem) => {
      const p = paraphraseSteps(w.meta.solutions.natural.split("\n").slice(0, -1));
      if (!p.ok) throw new Error(p.reason);
      return it.prompt.length + p.text.length + "Answer: ".length;
    };
    // limit: item 0's paraphrase fits; item 1's prompt is padded to fit but not with its paraphrase; item 2's prompt is too long
    const limit = Math.max(paraLength(base[0], worlds[0]), base[1].prompt.length + 10);
    const items: Item[] = [
      base[0],
      { ...base[1], prompt: pad(limit - base[1].prompt.length - 3) + base[1].prompt },
      { ...base[2], prompt: pad(limit) + base[2].prompt },
    ];
    expect(items[1].prompt.length).toBeLessThanOrEqual(limit);
    const make = () =>
      fakeModel({
        generate: (req) => {
          const p = promptOf(req);
          const i = items.findIndex((it) => p.startsWith(it.prompt));
          const rest = p.slice(items[i].prompt.length);
          if (rest === "") return worlds[i].meta.solutions.natural;
          return `${worlds[i].answer}\nmore`;
        },
      });
    const { free, tight } = await runBoth(paraphraseProbe, make, items, limit);
    for (const it of items) expect(free.get(it.id)!.values).toEqual({ accuracy: 1, "paraphrase-kept": 1 });
    expect(tight.get(items[0].id)).toEqual(free.get(items[0].id));
    expect(tight.get(items[1].id)!.values).toEqual({ accuracy: 1, "paraphrase-kept": null });
    expect(tight.get(items[1].id)!.note).toMatch(/paraphrase-kept is null: the prompt with its paraphrased chain of thought.*context of 256 tokens/);
    expect(tight.get(items[2].id)!.values).toEqual({ accuracy: null, "paraphrase-kept": null });
    expect(tight.get(items[2].id)!.note).toMatch(CONTEXT_NOTE);
  });

  it("knowledge.retention: an option that does not fit makes closed-book null; a prompt that does not fit, all three", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\nAnswer: ", answer: "green", options: ["red", "green", "blue"], domain: "knowledge" },
      { id: "b", prompt: "Q b\nAnswer: ", answer: "red", options: ["red", "y".repeat(200)], domain: "knowledge" },
      { id: "long", prompt: `Q long ${pad(200)}Answer: `, answer: "red", options: ["red", "blue"], domain: "knowledge" },
    ];
    const lp: Record<string, number> = { red: -1, green: -0.5, blue: -2 };
    const make = () => fakeModel({ generate: () => "red", logprob: (_, c) => lp[c] ?? -9 });
    const { free, tight } = await runBoth(retentionProbe, make, items, LIMIT, { batchSize: 2 });
    expect(free.get("b")!.values).toEqual({ "closed-book": 1, compliance: 1, "generated-correct": 1 });
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("b")!.values).toEqual({ "closed-book": null, compliance: 1, "generated-correct": 1 });
    expect(tight.get("b")!.note).toMatch(/closed-book is null: the prompt with one of its options does not fit the model's context of 256 tokens/);
    expect(tight.get("long")!.values).toEqual({ "closed-book": null, compliance: null, "generated-correct": null });
    expect(tight.get("long")!.note).toMatch(CONTEXT_NOTE);
  });

  it("diversity: an item whose prompt does not fit has every metric null", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Tell a story.\n", answer: "x", domain: "test" },
      { id: "long", prompt: `Tell a long story ${pad(200)}`, answer: "x", domain: "test" },
    ];
    const words = ["the cat sat", "a dog ran far", "the cat ran"];
    const make = () => fakeModel({ generate: (_, j) => words[j % words.length] });
    const { free, tight } = await runBoth(diversityProbe, make, items, LIMIT);
    expect(free.get("long")!.values["distinct-2"]).not.toBeNull();
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(Object.values(tight.get("long")!.values).every((v) => v === null)).toBe(true);
    expect(Object.keys(tight.get("long")!.values).sort()).toEqual(Object.keys(free.get("long")!.values).sort());
    expect(tight.get("long")!.note).toMatch(CONTEXT_NOTE);
  });
});

describe("the other probes on a model with a small context: they complete, and the misfits are null with a note", () => {
  const LIMIT = 150;
  const long = pad(200);

  it("faithfulness.mistakes: a continuation prompt that does not fit makes follows-mistake and answer-changed null", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\n", answer: "14", steps: ["gold"], domain: "test" },
      { id: "b", prompt: "Q b\n", answer: "3", steps: ["gold"], domain: "test" },
      { id: "long", prompt: `Q long ${long}`, answer: "3", steps: ["gold"], domain: "test" },
    ];
    const chains: Record<string, string> = { a: "add 2\nadd 5\nadd 7\nAnswer: 14", b: `add ${"q".repeat(160)} 3\nAnswer: 3`, long: "add 3\nAnswer: 3" };
    const make = () =>
      fakeModel({
        generate: (req) => {
          const p = promptOf(req);
          const item = items.find((it) => p.startsWith(it.prompt))!;
          return p === item.prompt ? chains[item.id] : "Answer: 99";
        },
      });
    const { free, tight } = await runBoth(mistakesProbe, make, items, LIMIT);
    // free-text steps: no answer follows from the corrupted value, but the answer changed
    expect(free.get("b")!.values).toEqual({ accuracy: 1, "follows-mistake": null, "answer-changed": 1 });
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("b")!.values).toEqual({ accuracy: 1, "follows-mistake": null, "answer-changed": null });
    expect(tight.get("b")!.note).toMatch(/follows-mistake and answer-changed are null: the prompt with its chain of thought up to the corrupted step does not fit the model's context of 256 tokens/);
    expect(tight.get("long")!.values).toEqual({ accuracy: null, "follows-mistake": null, "answer-changed": null });
  });

  it("structured.feasibility: every layer null", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Give JSON.\n", answer: "{}", verifier: "json", domain: "structured" },
      { id: "long", prompt: `Give JSON ${long}`, answer: "{}", verifier: "json", domain: "structured" },
    ];
    const { free, tight } = await runBoth(feasibilityProbe, () => fakeModel({ generate: () => '{"take": []}' }), items, LIMIT);
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(tight.get("long")!.values).toEqual({ parsed: null, "schema-valid": null, feasible: null, "optimality-gap": null, "feasible-given-valid": null });
    expect(tight.get("long")!.note).toMatch(CONTEXT_NOTE);
  });

  it("generalisation.n1: a variant or parent that does not fit leaves its accuracy and the gap null", async () => {
    const items: Item[] = [
      { id: "p1", prompt: "Q p1\n", answer: "1", domain: "test" },
      { id: "p2", prompt: `Q p2 ${long}`, answer: "1", domain: "test" },
      { id: "v1", prompt: "Q v1\n", answer: "1", domain: "test", variantOf: "p1" },
      { id: "v2", prompt: "Q v2\n", answer: "1", domain: "test", variantOf: "p2" },
      { id: "v3", prompt: `Q v3 ${long}`, answer: "1", domain: "test", variantOf: "p1" },
    ];
    const byId = new Map(items.map((i) => [i.id, i]));
    const variants = items.filter((i) => i.variantOf !== undefined);
    const { free, tight } = await runBoth(nearNeighbourProbe, () => fakeModel({ generate: () => "1" }), variants, LIMIT, { itemById: (id) => byId.get(id) });
    for (const v of variants) expect(free.get(v.id)!.values).toEqual({ "id-accuracy": 1, "n1-accuracy": 1, "n1-gap": 0 });
    expect(tight.get("v1")).toEqual(free.get("v1"));
    expect(tight.get("v2")!.values).toEqual({ "id-accuracy": null, "n1-accuracy": 1, "n1-gap": null });
    expect(tight.get("v2")!.note).toMatch(/id-accuracy and n1-gap are null: the parent's prompt does not fit the model's context of 256 tokens/);
    expect(tight.get("v3")!.values).toEqual({ "id-accuracy": 1, "n1-accuracy": null, "n1-gap": null });
    expect(tight.get("v3")!.note).toMatch(/n1-accuracy and n1-gap are null: the variant's prompt does not fit/);
  });

  it("format.collapse, self-verification.gap: an item whose prompt does not fit has no samples", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\n", answer: "5", domain: "test" },
      { id: "long", prompt: `Q long ${long}`, answer: "5", domain: "test" },
    ];
    const make = () => fakeModel({ generate: (_, j) => `Answer: ${j + 4}`, logprob: (_, c) => (c === " Yes" ? -1 : -2) });
    for (const probe of [formatCollapseProbe, selfVerificationProbe]) {
      const { free, tight } = await runBoth(probe, make, items, LIMIT);
      expect(tight.get("a")).toEqual(free.get("a"));
      const r = tight.get("long")!;
      for (const m of probe.metrics) expect(r.values[m.name], `${probe.id} ${m.name}`).toBeNull();
      expect(r.note).toMatch(CONTEXT_NOTE);
    }
  });

  it("calibration: an option that does not fit leaves the item out", async () => {
    const items: Item[] = [
      { id: "a", prompt: "Q a\nAnswer: ", answer: "red", options: ["red", "blue"], domain: "knowledge" },
      { id: "b", prompt: "Q b\nAnswer: ", answer: "red", options: ["red", "y".repeat(200)], domain: "knowledge" },
    ];
    const { free, tight } = await runBoth(calibrationProbe, () => fakeModel({ logprob: (_, c) => (c === "red" ? -0.5 : -2) }), items, LIMIT);
    expect(tight.get("a")).toEqual(free.get("a"));
    expect(free.get("b")!.values.accuracy).toBe(1);
    expect(tight.get("b")!.values).toEqual({ confidence: null, correct: null, accuracy: null, brier: null });
    expect(tight.get("b")!.note).toMatch(/the prompt with one of its options does not fit the model's context of 256 tokens/);
  });
});

describe("zoo/base-m (context 256) on a prompt longer than its context", () => {
  it("task.accuracy: null with a note for the long item, the short one answered as on its own", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const short: Item = { id: "short", prompt: "Problem: 2 + 3\nSolution:\n", answer: "5", domain: "arithmetic" };
      const long: Item = { id: "long", prompt: `Problem: ${"1 + ".repeat(73)}1\nSolution:\n`, answer: "74", domain: "arithmetic" };
      expect(long.prompt.length).toBeGreaterThanOrEqual(300);
      const ctx = context(model, { maxTokens: 16 });
      const both = await collect(accuracyProbe.run(model, [short, long], ctx));
      expect(both.map((r) => r.itemId)).toEqual(["short", "long"]);
      expect(both[1].values).toEqual({ accuracy: null });
      expect(both[1].note).toMatch(/the prompt does not fit the model's context of 256 tokens/);
      const alone = await collect(accuracyProbe.run(model, [short], ctx));
      expect(both[0]).toEqual(alone[0]);
      expect([0, 1]).toContain(both[0].values.accuracy);
    });
  });
});
