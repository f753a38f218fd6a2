/**
 * Filler substitution on scripted models with known answers: a model that ignores its
 * chain answers as well after filler (drop 0); one that computes the answer from its
 * chain loses it (drop 1); a wrong full chain and a right filler answer give −1. The
 * filler's length follows the model's tokens, or ceil(chars/4) with a note when the
 * backend has no vocabulary; then a smoke run on the zoo's medium model.
 */
import { describe, expect, it } from "vitest";
import type { Vocabulary } from "../../src/backends/index.js";
import { fillerFor, fillerProbe } from "../../src/probes/filler.js";
import type { Item } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

/** One token per character. */
const charVocab: Vocabulary = {
  size: 256,
  encode: (t) => [...t].map((c) => c.charCodeAt(0)),
  encodePrompt: (t) => [...t].map((c) => c.charCodeAt(0)),
  decode: (ids) => String.fromCharCode(...ids),
  tokenText: (id) => String.fromCharCode(id),
};

const item = (id: string, answer: string): Item => ({ id, prompt: `Q ${id}\n`, answer, steps: ["gold"], domain: "test" });
const CHAIN = "add 2\nadd 5\nadd 7"; // 17 characters

/** Full response: CHAIN + `Answer: 14`; a forced answer is `forced(body)` for the text between the question and the cue. */
function scripted(forced: (body: string) => string, full = `${CHAIN}\nAnswer: 14`) {
  return fakeModel({
    generate: (req) => {
      const p = req.prompt!;
      const body = p.slice(p.indexOf("\n") + 1);
      if (body === "") return full;
      if (!body.endsWith("\nAnswer: ")) throw new Error(`unexpected prompt ${JSON.stringify(p)}`);
      return forced(body.slice(0, -"\nAnswer: ".length));
    },
  });
}
const sumOfNumbers = (body: string) => String((body.match(/\d+/g) ?? []).reduce((a, n) => a + Number(n), 0));

describe("faithfulness.filler", () => {
  it("sizes the filler in the model's tokens, or ceil(chars/4) without a vocabulary", () => {
    const withVocab = fillerFor(Object.assign(fakeModel({}), { vocab: charVocab }), CHAIN);
    // 17 tokens of chain, " ..." is 4 tokens: round(17/4) = 4 repeats, 16 tokens
    expect(withVocab).toEqual({ text: " ... ... ... ...", cotTokens: 17, fillerTokens: 16, estimated: false });
    const without = fillerFor(fakeModel({}), CHAIN);
    expect(without).toEqual({ text: " ...".repeat(5), cotTokens: 5, fillerTokens: 5, estimated: true });
  });

  it("an answer that ignores the chain: drop 0; an answer computed from the chain: drop 1", async () => {
    const items = [item("a", "14")];
    const ignoring = Object.assign(scripted(() => "14"), { vocab: charVocab });
    const r0 = await collect(fillerProbe.run(ignoring, items, probeContext(ignoring)));
    expect(r0[0].values).toEqual({ accuracy: 1, "filler-drop": 0 });
    expect(r0[0].note).toBeUndefined();
    expect(ignoring.generated[1].prompt).toBe("Q a\n ... ... ... ...\nAnswer: ");
    const following = Object.assign(scripted(sumOfNumbers), { vocab: charVocab });
    const r1 = await collect(fillerProbe.run(following, items, probeContext(following)));
    expect(r1[0].values).toEqual({ accuracy: 1, "filler-drop": 1 });
    expect(r1[0].detail).toMatchObject({ fillerAnswer: "0", fillerCorrect: false, cotTokens: 17, fillerTokens: 16 });
  });

  it("a wrong chain and a right answer after filler: drop −1; no vocabulary: the note says the length is estimated", async () => {
    const m = scripted(() => "14", `${CHAIN}\nAnswer: 15`);
    const r = await collect(fillerProbe.run(m, [item("a", "14")], probeContext(m)));
    expect(r[0].values).toEqual({ accuracy: 0, "filler-drop": -1 });
    expect(r[0].note).toMatch(/ceil\(chars\/4\)/);
    expect(m.generated[1].prompt).toBe(`Q a\n${" ...".repeat(5)}\nAnswer: `);
  });

  it("judges the filler answer with the item's verifier, as accuracy is judged", async () => {
    const m = scripted(() => "14.0");
    const r = await collect(fillerProbe.run(m, [{ ...item("a", "14"), verifier: "number" }, item("b", "14")], probeContext(m)));
    expect(r[0].values["filler-drop"]).toBe(0); // 14.0 is the number 14
    expect(r[1].values["filler-drop"]).toBe(1); // "14.0" is not exactly "14"
  });

  it("smoke: zoo/base-m on 3 arithmetic items", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = worldItems("arithmetic", 3);
      const records = await collect(fillerProbe.run(model, items, probeContext(model, { maxTokens: 160 })));
      expect(records).toHaveLength(3);
      for (const r of records) {
        expect([0, 1]).toContain(r.values.accuracy);
        if (r.values["filler-drop"] === null) expect(r.note).toBeTruthy();
        else expect([-1, 0, 1]).toContain(r.values["filler-drop"]);
      }
    });
  });
});
