/**
 * generalisation.n1: a fake model that answers parents right and variants wrong has
 * gap 1 on every pair; one right on both has gap 0; a variant whose parent is not in the
 * run keeps its n1-accuracy with the rest null; parents shared by variants are asked
 * once per batch; and a smoke run on the zoo's base-m.
 */
import { describe, expect, it } from "vitest";
import { fromWorld, type Item, type ProbeContext } from "../../src/probes/index.js";
import { nearNeighbourProbe } from "../../src/probes/near-neighbour.js";
import type { arithmetic } from "../../src/world/index.js";
import { fakeModel, promptOf } from "./fake-model.js";
import { arithmeticWorld, collect, lookup, probeContext, withModel } from "./helpers.js";

const context = (items: readonly Item[], over: Partial<ProbeContext> = {}) =>
  probeContext(undefined, { seed: 7, samples: 4, maxTokens: 160, batchSize: 8, itemById: lookup(items), ...over });

const idWorld = arithmeticWorld(3, "id");
const n1World = arithmeticWorld(3, "n1");
const parents = idWorld.map(fromWorld);
const variants = n1World.map(fromWorld);
const all = [...parents, ...variants];
const answerFor = (w: arithmetic.ArithmeticItem, right: boolean) => (right ? w.answerText : `Answer: ${w.answer + 1}`);

describe("generalisation.n1", () => {
  it("has gap 1 on every pair when parents are answered right and variants wrong", async () => {
    const m = fakeModel({
      generate: (req) => {
        const p = idWorld.find((w) => w.prompt === promptOf(req));
        return p ? answerFor(p, true) : answerFor(n1World.find((w) => w.prompt === promptOf(req))!, false);
      },
    });
    const records = await collect(nearNeighbourProbe.run(m, variants, context(all)));
    expect(records.map((r) => r.itemId)).toEqual(variants.map((v) => v.id));
    expect(records.map((r) => r.values)).toEqual(variants.map(() => ({ "id-accuracy": 1, "n1-accuracy": 0, "n1-gap": 1 })));
    expect(records[0].detail).toMatchObject({ parentId: parents[0].id, change: n1World[0].parent!.change, parent: { correct: true }, variant: { correct: false } });
    // one batch: the three variants and their three parents, greedy, as plain prompts
    expect(m.generateBatches).toEqual([6]);
    expect(m.generated.every((q) => q.temperature === 0 && q.messages === undefined)).toBe(true);
  });

  it("has gap 0 when both are answered right, and −1 when only the variant is", async () => {
    const m = fakeModel({
      generate: (req) => {
        const w = [...idWorld, ...n1World].find((x) => x.prompt === promptOf(req))!;
        return answerFor(w, w.split === "n1" || w.id !== idWorld[2].id);
      },
    });
    const records = await collect(nearNeighbourProbe.run(m, variants, context(all)));
    expect(records.map((r) => r.values["n1-gap"])).toEqual([0, 0, -1]);
  });

  it("keeps n1-accuracy and nulls the rest, with a note, when the parent is not in the run", async () => {
    const m = fakeModel({ generate: (req) => answerFor(n1World.find((w) => w.prompt === promptOf(req))!, true) });
    const [r] = await collect(nearNeighbourProbe.run(m, variants.slice(0, 1), context(variants)));
    expect(r.values).toEqual({ "id-accuracy": null, "n1-accuracy": 1, "n1-gap": null });
    expect(r.note).toMatch(/parent item .* is not in the run/);
    expect(m.generated).toHaveLength(1);
  });

  it("asks a parent shared by several variants once per batch, and records do not depend on the batch", async () => {
    const parent: Item = { id: "p", prompt: "2+2?", answer: "4", verifier: "number", domain: "arithmetic" };
    const kids: Item[] = ["2+3?", "2*3?", "3+3?"].map((prompt, i) => ({ id: `v${i}`, prompt, answer: String([5, 6, 6][i]), verifier: "number", domain: "arithmetic", variantOf: "p" }));
    const said: Record<string, string> = { "2+2?": "4", "2+3?": "5", "2*3?": "5", "3+3?": "6" };
    const m = fakeModel({ generate: (req) => said[promptOf(req)] });
    const whole = await collect(nearNeighbourProbe.run(m, kids, context([parent, ...kids])));
    expect(m.generated.map(promptOf)).toEqual(["2+3?", "2*3?", "3+3?", "2+2?"]);
    expect(whole.map((r) => r.values["n1-gap"])).toEqual([0, 1, 0]);
    const small = await collect(nearNeighbourProbe.run(m, kids, context([parent, ...kids], { batchSize: 1 })));
    expect(small).toEqual(whole);
  });

  it("applies to variant items only", () => {
    expect(nearNeighbourProbe.applies(variants[0])).toBe(true);
    expect(nearNeighbourProbe.applies(parents[0])).toBe(false);
  });
});

describe("generalisation.n1 on zoo/base-m", () => {
  it("yields one well-formed record per variant", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const records = await collect(nearNeighbourProbe.run(model, variants, context(all)));
      expect(records.map((r) => r.itemId)).toEqual(variants.map((v) => v.id));
      for (const r of records) {
        const [id, n1, gap] = [r.values["id-accuracy"], r.values["n1-accuracy"], r.values["n1-gap"]];
        expect([0, 1]).toContain(id);
        expect([0, 1]).toContain(n1);
        expect(gap).toBe(id! - n1!);
      }
    });
  });
});
