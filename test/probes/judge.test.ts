/**
 * judge.ts sameAnswer: two answers are the same when the item's verifier would read them
 * the same — numbers as numbers for `number` items (commas, trailing zeros), integers
 * without leading zeros for world arithmetic (as verifyArithmetic reads them), canonical
 * JSON for `json` items and world structured items, exact case-sensitive text otherwise.
 */
import { describe, expect, it } from "vitest";
import type { Item } from "../../src/probes/index.js";
import { sameAnswer } from "../../src/probes/judge.js";
import { worldItems } from "./helpers.js";

const user = (verifier: Item["verifier"]): Item => ({ id: "u", prompt: "Q", answer: "1", verifier, domain: "test" });

describe("sameAnswer", () => {
  it("reads numbers as the number verifier does", () => {
    const n = user("number");
    expect(sameAnswer(n, "1,000", "1000")).toBe(true);
    expect(sameAnswer(n, "7", "7.0")).toBe(true);
    expect(sameAnswer(n, " 7 ", "7")).toBe(true);
    expect(sameAnswer(n, "7", "8")).toBe(false);
    expect(sameAnswer(n, "seven", "7")).toBe(false);
    expect(sameAnswer(n, "seven", "seven")).toBe(true);
  });

  it("reads world arithmetic answers as its verifier: integers without leading zeros", () => {
    const [w] = worldItems("arithmetic", 1);
    expect(sameAnswer(w, "24", " 24")).toBe(true);
    expect(sameAnswer(w, "024", "24")).toBe(false);
    expect(sameAnswer(w, "24.0", "24")).toBe(false);
  });

  it("compares JSON canonically, and text exactly (case-sensitive) for exact and choice items", () => {
    expect(sameAnswer(user("json"), '{"a": [1, 2], "b": null}', '{"b":null,"a":[1,2]}')).toBe(true);
    expect(sameAnswer(user("json"), '{"a": 1}', '{"a": 2}')).toBe(false);
    expect(sameAnswer(user("exact"), "Paris", "paris")).toBe(false);
    expect(sameAnswer(user(undefined), "1,000", "1000")).toBe(false);
    expect(sameAnswer(user("choice"), "b ", "b")).toBe(true);
    const [k] = worldItems("knowledge", 1);
    expect(sameAnswer(k, "Tosk", "tosk")).toBe(false);
  });
});
