/**
 * Average-linkage (UPGMA) clustering of tasks by similarity: a hand-worked dendrogram, an
 * obvious two-block matrix, deterministic ties, and bad input returned as errors.
 */
import { describe, expect, it } from "vitest";
import { clusterBySimilarity, formatClusterError, type ClusterResult } from "../../../src/weights/cluster.js";
import { createRng } from "../../../src/random/index.js";

function ok(r: ClusterResult) {
  if (!r.ok) throw new Error(formatClusterError(r.error));
  return r.value;
}

describe("clusterBySimilarity", () => {
  //        A    B    C    D
  const s = [
    [1.0, 0.9, 0.3, 0.2],
    [0.9, 1.0, 0.4, 0.1],
    [0.3, 0.4, 1.0, 0.8],
    [0.2, 0.1, 0.8, 1.0],
  ];

  it("builds the dendrogram of a hand-worked example", () => {
    // 1. max pair A–B 0.9 → {A,B}.
    // 2. {A,B}–C = (0.3 + 0.4)/2 = 0.35, {A,B}–D = (0.2 + 0.1)/2 = 0.15, C–D = 0.8 → {C,D}.
    // 3. {A,B}–{C,D} = (0.3 + 0.2 + 0.4 + 0.1)/4 = 0.25.
    const r = ok(clusterBySimilarity(["A", "B", "C", "D"], s));
    expect(r.merges).toEqual([
      { a: ["A"], b: ["B"], similarity: 0.9 },
      { a: ["C"], b: ["D"], similarity: 0.8 },
      { a: ["A", "B"], b: ["C", "D"], similarity: expect.closeTo(0.25, 15) },
    ]);
    expect(r.clusters).toEqual([["A", "B"], ["C", "D"]]);
    expect(r.threshold).toBe(0.5);
    expect(ok(clusterBySimilarity(["A", "B", "C", "D"], s, { threshold: 0.2 })).clusters).toEqual([["A", "B", "C", "D"]]);
    expect(ok(clusterBySimilarity(["A", "B", "C", "D"], s, { threshold: 0.85 })).clusters).toEqual([["A", "B"], ["C"], ["D"]]);
    expect(ok(clusterBySimilarity(["A", "B", "C", "D"], s, { threshold: 0.95 })).clusters).toEqual([["A"], ["B"], ["C"], ["D"]]);
  });

  it("uses average, not single or complete, linkage", () => {
    // After {A,B}: single linkage would give {A,B}–C = 0.6 > C–D = 0.5; average gives 0.35.
    const t = [
      [1, 0.9, 0.6, 0],
      [0.9, 1, 0.1, 0],
      [0.6, 0.1, 1, 0.5],
      [0, 0, 0.5, 1],
    ];
    const r = ok(clusterBySimilarity(["A", "B", "C", "D"], t));
    expect(r.merges[1]).toEqual({ a: ["C"], b: ["D"], similarity: 0.5 });
  });

  it("recovers an obvious two-block matrix, whatever the label order", () => {
    // Tasks m1, m2, m3 share most of their cores; c1, c2 share theirs; across blocks ~0.05.
    const labels = ["m1", "c1", "m2", "c2", "m3"];
    const block = (i: number) => (labels[i].startsWith("m") ? 0 : 1);
    const rng = createRng(8);
    const sim = labels.map(() => labels.map(() => 0));
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j <= i; j++) {
        const v = i === j ? 1 : block(i) === block(j) ? 0.7 + 0.2 * rng.next() : 0.1 * rng.next();
        sim[i][j] = v;
        sim[j][i] = v;
      }
    }
    const r = ok(clusterBySimilarity(labels, sim));
    expect(r.clusters).toEqual([["m1", "m2", "m3"], ["c1", "c2"]]);
    expect(r.merges.length).toBe(4);
    expect(r.merges[3].similarity).toBeLessThan(0.1);
  });

  it("breaks ties by input order and never inverts the dendrogram", () => {
    const flat = [
      [1, 0.5, 0.5],
      [0.5, 1, 0.5],
      [0.5, 0.5, 1],
    ];
    const r = ok(clusterBySimilarity(["x", "y", "z"], flat));
    expect(r.merges.map((m) => [m.a, m.b])).toEqual([
      [["x"], ["y"]],
      [["x", "y"], ["z"]],
    ]);
    expect(r.clusters).toEqual([["x", "y", "z"]]); // 0.5 ≥ 0.5: a merge at the threshold is kept
    const rng = createRng(31);
    for (let trial = 0; trial < 10; trial++) {
      const n = 3 + rng.int(8);
      const m = Array.from({ length: n }, () => new Array<number>(n).fill(1));
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m[i][j] = m[j][i] = rng.next();
      const labels = Array.from({ length: n }, (_, i) => `t${i}`);
      const d = ok(clusterBySimilarity(labels, m));
      expect(d.merges.length).toBe(n - 1);
      for (let k = 1; k < d.merges.length; k++) expect(d.merges[k].similarity).toBeLessThanOrEqual(d.merges[k - 1].similarity + 1e-15);
      expect(ok(clusterBySimilarity(labels, m))).toEqual(d);
    }
  });

  it("handles one task and no tasks", () => {
    expect(ok(clusterBySimilarity(["only"], [[1]]))).toEqual({ merges: [], clusters: [["only"]], threshold: 0.5 });
    expect(ok(clusterBySimilarity([], []))).toEqual({ merges: [], clusters: [], threshold: 0.5 });
  });

  it("returns bad input as errors with a message", () => {
    const cases: [string[], number[][], { threshold?: number }, string][] = [
      [["a", "b"], [[1, 0.5]], {}, "size_mismatch"],
      [["a", "b"], [[1, 0.5], [0.5]], {}, "not_square"],
      [["a", "b"], [[1, 1.2], [1.2, 1]], {}, "out_of_range"],
      [["a", "b"], [[1, NaN], [NaN, 1]], {}, "out_of_range"],
      [["a", "b"], [[1, 0.5], [0.4, 1]], {}, "not_symmetric"],
      [["a", "a"], [[1, 0.5], [0.5, 1]], {}, "duplicate_label"],
      [["a", "b"], [[1, 0.5], [0.5, 1]], { threshold: 2 }, "bad_threshold"],
    ];
    for (const [labels, sim, opts, code] of cases) {
      const r = clusterBySimilarity(labels, sim, opts);
      expect(r.ok, code).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(code);
        expect(formatClusterError(r.error).length).toBeGreaterThan(10);
      }
    }
    const asym = clusterBySimilarity(["a", "b"], [[1, 0.5], [0.4, 1]]);
    expect(asym).toEqual({ ok: false, error: { code: "not_symmetric", row: 0, col: 1, value: 0.5, transposed: 0.4 } });
  });
});
