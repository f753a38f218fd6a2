/**
 * Model ids are what the request cache and the run store key on. A character model's id must
 * not move when code that does not change its results changes (zoo/base-m's id is the one
 * earlier runs and caches were made under); a byte-level BPE model's id includes token
 * healing, which changed its generations, so nothing generated before healing is reused.
 */
import { describe, expect, it } from "vitest";
import { openModel } from "../../../src/backends/index.js";

describe("builtin model ids", () => {
  it("zoo/base-m keeps its id; zoo/base-m-bpe's id includes token healing", async () => {
    const char = await openModel("builtin:zoo/base-m");
    const bpe = await openModel("builtin:zoo/base-m-bpe");
    expect(char.id).toBe("builtin:ef141a1131a273d24267abdd");
    expect(bpe.id).toBe("builtin:7f48548d6ca8de6498e40b19");
    await char.close();
    await bpe.close();
  });
});
