/**
 * Knowledge retention: closed-book by likelihood ranking of the options (ties to the
 * first), compliance = the greedy answer is one of the options, generated-correct = it
 * is the gold one; prompts rendered in the model's format; gold outside the options is
 * null with a note.
 */
import { describe, expect, it } from "vitest";
import type { LanguageModel } from "../../src/backends/index.js";
import type { Item, ProbeContext } from "../../src/probes/index.js";
import { retentionProbe } from "../../src/probes/retention.js";
import { fakeModel, promptOf } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const ctxFor = (model: LanguageModel, over: Partial<ProbeContext> = {}) => probeContext(model, { maxTokens: 16, ...over });

const OPTIONS = ["red", "green", "blue"];
function q(id: string, answer: string, options = OPTIONS): Item {
  return { id, prompt: `Q ${id}\nAnswer: `, answer, options, domain: "knowledge" };
}

describe("knowledge.retention", () => {
  it("ranks the options by log-probability and reads the greedy answer", async () => {
    const lp: Record<string, number> = { red: -3, green: -1, blue: -2 };
    const said: Record<string, string> = { a: "green\nmore", b: "Green", c: "blue", d: "" };
    const m = fakeModel({ logprob: (_, c) => lp[c], generate: (req) => said[/Q (\w)/.exec(promptOf(req))![1]] });
    const items = [q("a", "green"), q("b", "green"), q("c", "red"), q("d", "blue")];
    const r = await collect(retentionProbe.run(m, items, ctxFor(m, { render: (p) => `<${p}>`, batchSize: 2 })));
    expect(r.map((x) => x.values)).toEqual([
      { "closed-book": 1, compliance: 1, "generated-correct": 1 },
      { "closed-book": 1, compliance: 0, "generated-correct": 0 },
      { "closed-book": 0, compliance: 1, "generated-correct": 0 },
      { "closed-book": 0, compliance: 0, "generated-correct": 0 },
    ]);
    expect(r[2].detail).toMatchObject({ chosen: "green", goldRank: 3, answer: "blue", logprobs: [-3, -1, -2] });
    expect(r[3].note).toMatch(/no answer/);
    // prompts go out rendered, as plain prompts, greedy, in batches of ctx.batchSize
    expect(m.scored[0]).toEqual({ prompt: "<Q a\nAnswer: >", continuation: "red" });
    expect(m.generated.every((g) => g.prompt?.startsWith("<Q ") && g.temperature === 0 && g.messages === undefined)).toBe(true);
    expect(m.generateBatches).toEqual([2, 2]);
  });

  it("breaks ties by option order", async () => {
    const m = fakeModel({ logprob: () => -1, generate: () => "x" });
    const r = await collect(retentionProbe.run(m, [q("a", "red"), q("b", "green")], ctxFor(m)));
    expect(r.map((x) => x.values["closed-book"])).toEqual([1, 0]);
  });

  it("gives null with a note when the gold answer is not an option", async () => {
    const m = fakeModel({ logprob: () => -1, generate: () => "red" });
    const [r] = await collect(retentionProbe.run(m, [q("a", "purple")], ctxFor(m)));
    expect(r.values).toEqual({ "closed-book": null, compliance: 1, "generated-correct": null });
    expect(r.note).toMatch(/"purple" is not among/);
  });

  it("applies to questions with options only", () => {
    expect(retentionProbe.applies(q("a", "red"))).toBe(true);
    expect(retentionProbe.applies({ id: "b", prompt: "x", answer: "y", domain: "d" })).toBe(false);
    expect(retentionProbe.applies({ ...q("c", "red"), role: "reference" })).toBe(false);
  });

  describe("on zoo/base-m", () => {
    it("yields one 0/1 record per knowledge item", async () => {
      await withModel("builtin:zoo/base-m", async (model) => {
        const items = worldItems("knowledge", 3);
        const r = await collect(retentionProbe.run(model, items, ctxFor(model)));
        expect(r.map((x) => x.itemId)).toEqual(items.map((x) => x.id));
        for (const x of r) for (const v of Object.values(x.values)) expect([0, 1]).toContain(v);
      });
    });
  });
});
