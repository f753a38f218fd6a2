/**
 * Item clusters (item.ts clusterOf, fromWorld): the unit resampling must respect. A
 * parent and its N-1 variants share one; knowledge items that ask the same fact — in
 * another phrasing, or again past the end of the fact order — share one; anything else
 * is its own. User items: an explicit cluster, else the N-1 parent, else the item.
 */
import { describe, expect, it } from "vitest";
import { clusterOf, type Item } from "../../src/probes/index.js";
import type { TaskName } from "../../src/world/index.js";
import { worldItems } from "./helpers.js";

describe("clusters of world items (fromWorld)", () => {
  it("an in-distribution item is its own cluster and its N-1 variant joins it, in every task but knowledge", () => {
    for (const task of ["arithmetic", "structured", "programs", "stories"] as TaskName[]) {
      const id = worldItems(task, 3, "id");
      const n1 = worldItems(task, 3, "n1");
      expect(id.map((it) => it.cluster), task).toEqual(id.map((it) => it.id));
      expect(n1.map(clusterOf), task).toEqual(n1.map((it) => it.variantOf));
      expect(n1.map(clusterOf), task).toEqual(id.map(clusterOf));
    }
    const ood = worldItems("arithmetic", 2, "ood");
    expect(ood.map(clusterOf)).toEqual(ood.map((it) => it.id));
  });

  it("knowledge items are clustered by the fact they ask, whatever the phrasing", () => {
    const id = worldItems("knowledge", 501, "id");
    const n1 = worldItems("knowledge", 3, "n1");
    const fact = (it: Item) => (it.world!.meta as { fact: string }).fact;
    expect(id[0].cluster).toBe(`knowledge/fact/${fact(id[0])}`);
    expect(fact(id[0])).toMatch(/^[A-Z][a-z]+\.(town|colour|job|food|friend)$/);
    // the held-out phrasing of a fact is in its standard phrasing's cluster
    expect(n1.map(clusterOf)).toEqual(id.slice(0, 3).map(clusterOf));
    // 100 entities × 5 attributes: item 500 asks item 0's fact again
    expect(clusterOf(id[500])).toBe(clusterOf(id[0]));
    expect(new Set(id.slice(0, 500).map(clusterOf)).size).toBe(500);
    // two-hop items name their path: the entity's friend's attribute
    const ood = worldItems("knowledge", 2, "ood");
    expect(clusterOf(ood[0])).toMatch(/^knowledge\/fact\/[A-Z][a-z]+\.friend\.(town|colour|job|food)$/);
  });
});

describe("clusterOf on user items", () => {
  const base: Item = { id: "q1", prompt: "p", answer: "a", domain: "d" };
  it("is the explicit cluster, else the N-1 parent, else the item's own id", () => {
    expect(clusterOf(base)).toBe("q1");
    expect(clusterOf({ ...base, id: "q1-v", variantOf: "q1" })).toBe("q1");
    expect(clusterOf({ ...base, variantOf: "q0", cluster: "doc-3" })).toBe("doc-3");
  });
});
