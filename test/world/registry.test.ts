/** The world registry: every task is listed under its own name and yields verified items. */
import { describe, expect, it } from "vitest";
import { tasks, type Task } from "../../src/world/index.js";

describe("world registry", () => {
  for (const [key, task] of Object.entries(tasks)) {
    it(`${key}: named as registered, gold answers verify on every split`, () => {
      expect(task.name).toBe(key);
      for (const split of ["id", "n1", "ood"] as const) {
        const t: Task<unknown, unknown> = task;
        const items = t.items({ config: t.defaults, seed: 7, split, n: 20 });
        expect(items).toHaveLength(20);
        for (const item of items) {
          expect(item.split).toBe(split);
          expect(t.verify(item, item.answerText).correct, item.id).toBe(true);
        }
      }
    });
  }
});
