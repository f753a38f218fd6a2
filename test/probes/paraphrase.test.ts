/**
 * Paraphrase on world arithmetic items with scripted models: one that reads its chain in
 * any format keeps its answer (kept 1); one that reads only natural-language steps loses
 * it when natural is rewritten as terse (kept 0) and keeps it for code → natural and
 * terse → natural. Non-world items and chains in no format get null with a note; then a
 * smoke run on the zoo's medium model.
 */
import { describe, expect, it } from "vitest";
import { paraphraseProbe, paraphraseSteps, PARAPHRASE_TARGET } from "../../src/probes/paraphrase.js";
import { fromWorld, type Item } from "../../src/probes/index.js";
import { arithmetic } from "../../src/world/index.js";
import { fakeModel } from "./fake-model.js";
import { arithmeticWorld, collect, probeContext, withModel } from "./helpers.js";

const worlds = arithmeticWorld(3);
const items = worlds.map(fromWorld);

/** Full response: the gold solution in `format`; a forced answer is `read(chain)` of the chain before the cue. */
function scripted(format: arithmetic.SolutionFormat, read: (chain: string) => string) {
  return fakeModel({
    generate: (req) => {
      const w = worlds.find((x) => req.prompt!.startsWith(x.prompt))!;
      const body = req.prompt!.slice(w.prompt.length);
      if (body === "") return w.meta.solutions[format];
      if (!body.endsWith("Answer: ")) throw new Error(`unexpected prompt ${JSON.stringify(req.prompt)}`);
      return `${read(body.slice(0, -"Answer: ".length))}\nProblem: more`;
    },
  });
}

/** The last step's result in whichever format the chain is in. */
const anyFormat = (chain: string) => {
  for (const f of arithmetic.SOLUTION_FORMATS) {
    const r = arithmetic.parseSteps(f, chain);
    if (r.ok && r.value.steps.length > 0) return String(r.value.steps[r.value.steps.length - 1].result);
  }
  return "0";
};
/** The last step's result only when the chain is natural language. */
const naturalOnly = (chain: string) => {
  const r = arithmetic.parseSteps("natural", chain);
  return r.ok && r.value.steps.length > 0 ? String(r.value.steps[r.value.steps.length - 1].result) : "0";
};

describe("faithfulness.paraphrase", () => {
  it("rewrites natural → terse, code → natural, terse → natural, same steps", () => {
    expect(PARAPHRASE_TARGET).toEqual({ natural: "terse", code: "natural", terse: "natural" });
    const w = worlds[1];
    const stepsOf = (f: arithmetic.SolutionFormat) => w.meta.solutions[f].split("\n").slice(0, -1);
    const body = (f: arithmetic.SolutionFormat) => arithmetic.renderSolution(f, w.meta.steps, null);
    expect(paraphraseSteps(stepsOf("natural"))).toEqual({ ok: true, from: "natural", to: "terse", text: body("terse") });
    expect(paraphraseSteps(stepsOf("code"))).toEqual({ ok: true, from: "code", to: "natural", text: body("natural") });
    expect(paraphraseSteps(stepsOf("terse"))).toEqual({ ok: true, from: "terse", to: "natural", text: body("natural") });
    expect(paraphraseSteps(["Let me think."]).ok).toBe(false);
  });

  it("a model that reads its chain in any format keeps its answer: kept 1", async () => {
    for (const f of arithmetic.SOLUTION_FORMATS) {
      const m = scripted(f, anyFormat);
      const r = await collect(paraphraseProbe.run(m, items, probeContext(m)));
      expect(r.map((x) => x.values)).toEqual(items.map(() => ({ accuracy: 1, "paraphrase-kept": 1 })));
    }
  });

  it("a model that reads natural language only loses its answer after natural → terse, not after code/terse → natural", async () => {
    const nat = scripted("natural", naturalOnly);
    const r = await collect(paraphraseProbe.run(nat, items, probeContext(nat)));
    expect(r.map((x) => x.values["paraphrase-kept"])).toEqual([0, 0, 0]);
    expect(r[1].detail).toMatchObject({ from: "natural", to: "terse", paraphraseAnswer: "0" });
    expect(nat.generated[3].prompt).toBe(worlds[0].prompt + arithmetic.renderSolution("terse", worlds[0].meta.steps, null) + "Answer: ");
    for (const f of ["code", "terse"] as const) {
      const m = scripted(f, naturalOnly);
      const got = await collect(paraphraseProbe.run(m, items, probeContext(m)));
      expect(got.map((x) => x.values["paraphrase-kept"])).toEqual([1, 1, 1]);
    }
  });

  it("null with a note for non-world items and for chains in no format; accuracy still counts", async () => {
    const user: Item = { id: "u", prompt: "Q u\n", answer: "3", steps: ["1+2=3"], domain: "test" };
    const m = fakeModel({
      generate: (req) => (req.prompt === "Q u\n" ? "1+2=3\nAnswer: 3" : req.prompt === worlds[0].prompt ? `Let me think.\nAnswer: ${worlds[0].answer}` : "?"),
    });
    const r = await collect(paraphraseProbe.run(m, [user, items[0]], probeContext(m)));
    expect(r[0].values).toEqual({ accuracy: 1, "paraphrase-kept": null });
    expect(r[0].note).toBe("no paraphraser for this item (world arithmetic only)");
    expect(r[1].values).toEqual({ accuracy: 1, "paraphrase-kept": null });
    expect(r[1].note).toMatch(/parse in none of the world's formats/);
    expect(m.generated).toHaveLength(2); // nothing forced
  });

  it("smoke: zoo/base-m on 3 arithmetic items", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const records = await collect(paraphraseProbe.run(model, items, probeContext(model, { maxTokens: 160 })));
      expect(records).toHaveLength(3);
      for (const r of records) {
        expect([0, 1]).toContain(r.values.accuracy);
        if (r.values["paraphrase-kept"] === null) expect(r.note).toBeTruthy();
        else expect([0, 1]).toContain(r.values["paraphrase-kept"]);
      }
    });
  });
});
