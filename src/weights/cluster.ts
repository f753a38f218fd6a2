/**
 * Grouping fine-tuned tasks by how much their core regions overlap (CPI-FT, Wang, Liang &
 * Peng 2025, arXiv 2508.21741: "tasks with similar core regions are grouped based on
 * region overlap"), by agglomerative clustering with average linkage — UPGMA (Sokal &
 * Michener 1958, "A statistical method for evaluating systematic relationships", Univ.
 * Kansas Sci. Bull. 38). The similarity of two clusters is the mean similarity over all
 * pairs across them, so a cluster is joined for what its members share on average, not
 * because of its single closest (single linkage) or farthest (complete linkage) member.
 *
 * Steps: 1. validate the matrix; 2. repeatedly merge the most similar pair of clusters,
 * recording the dendrogram; 3. cut it where the merge similarity falls below the
 * threshold. Average linkage has no inversions (each merge is at most as similar as the
 * one before), so the cut is a prefix of the merges.
 */

/**
 * Default cut: 0.5. For two cores of equal size, Jaccard J means each shares
 * 2J / (1 + J) of its entries with the other, so J ≥ 0.5 says more than two thirds of
 * each core is common — the tasks mostly move the same parameters. Chance is far below:
 * two independent top-p masks have J ≈ p / (2 − p), about 0.005 at p = 1%.
 */
export const DEFAULT_CLUSTER_THRESHOLD = 0.5;

/** Off-diagonal pairs may differ by rounding (e.g. means of float sums) but no more. */
const SYMMETRY_TOL = 1e-12;

export interface Merge {
  /** The two clusters joined (labels in input order; `a` holds the earlier first label). */
  a: string[];
  b: string[];
  /** Their average-linkage similarity at the merge. */
  similarity: number;
}

export interface Clustering {
  /** The dendrogram: all n − 1 merges in the order made (similarity non-increasing). */
  merges: Merge[];
  /** The clusters left after the merges with similarity ≥ threshold, in input order. */
  clusters: string[][];
  threshold: number;
}

export type ClusterError =
  | { code: "size_mismatch"; labels: number; rows: number }
  | { code: "not_square"; row: number; expected: number; got: number }
  | { code: "out_of_range"; row: number; col: number; value: number }
  | { code: "not_symmetric"; row: number; col: number; value: number; transposed: number }
  | { code: "duplicate_label"; label: string }
  | { code: "bad_threshold"; value: number };

export type ClusterResult = { ok: true; value: Clustering } | { ok: false; error: ClusterError };

/** A message for a user: what was wrong, where, and what to do. */
export function formatClusterError(e: ClusterError): string {
  switch (e.code) {
    case "size_mismatch":
      return `${e.labels} labels but a similarity matrix with ${e.rows} rows; give one row per task.`;
    case "not_square":
      return `similarity row ${e.row} has ${e.got} entries, expected ${e.expected}; the matrix must be square (one row and column per task).`;
    case "out_of_range":
      return `similarity[${e.row}][${e.col}] = ${e.value} is not in [0, 1]; give overlaps such as Jaccard indices.`;
    case "not_symmetric":
      return `similarity[${e.row}][${e.col}] = ${e.value} but similarity[${e.col}][${e.row}] = ${e.transposed}; a similarity must be symmetric.`;
    case "duplicate_label":
      return `task label "${e.label}" appears twice; give each task a distinct label.`;
    case "bad_threshold":
      return `cluster threshold ${e.value} is not in [0, 1].`;
  }
}

/** 1. The first problem with the input, or null. */
function validate(labels: readonly string[], s: readonly (readonly number[])[], threshold: number): ClusterError | null {
  const n = labels.length;
  if (!(threshold >= 0 && threshold <= 1)) return { code: "bad_threshold", value: threshold };
  if (s.length !== n) return { code: "size_mismatch", labels: n, rows: s.length };
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) return { code: "duplicate_label", label };
    seen.add(label);
  }
  for (let i = 0; i < n; i++) if (s[i].length !== n) return { code: "not_square", row: i, expected: n, got: s[i].length };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = s[i][j];
      // `!(v >= 0 && v <= 1)` also rejects NaN.
      if (!(v >= 0 && v <= 1)) return { code: "out_of_range", row: i, col: j, value: v };
      if (j < i && Math.abs(v - s[j][i]) > SYMMETRY_TOL) return { code: "not_symmetric", row: j, col: i, value: s[j][i], transposed: v };
    }
  }
  return null;
}

/**
 * Average-linkage clustering of tasks from a similarity matrix (symmetric, entries in
 * [0, 1], the diagonal ignored). Ties go to the pair whose clusters' first members come
 * earliest in `labels`, so the same input always gives the same dendrogram.
 */
export function clusterBySimilarity(
  labels: readonly string[],
  similarity: readonly (readonly number[])[],
  opts: { threshold?: number } = {},
): ClusterResult {
  const threshold = opts.threshold ?? DEFAULT_CLUSTER_THRESHOLD;
  const error = validate(labels, similarity, threshold);
  if (error !== null) return { ok: false, error };
  const n = labels.length;
  // Each live cluster: its members (input indices, ascending) and, for every other live
  // cluster, the SUM of pairwise similarities across them (Lance & Williams 1967: sums
  // add on a merge, and sum / (|A| |B|) is the average linkage without re-averaging).
  const members: (number[] | null)[] = Array.from({ length: n }, (_, i) => [i]);
  const sums: number[][] = similarity.map((row) => row.slice());
  const merges: Merge[] = [];
  // 2. n − 1 merges of the most similar pair.
  for (let step = 0; step < n - 1; step++) {
    let bestA = -1;
    let bestB = -1;
    let best = -Infinity;
    // Live clusters are kept at the index of their first member, so scanning indices in
    // order and taking only strictly greater values implements the tie rule.
    for (let a = 0; a < n; a++) {
      const ma = members[a];
      if (ma === null) continue;
      for (let b = a + 1; b < n; b++) {
        const mb = members[b];
        if (mb === null) continue;
        const avg = sums[a][b] / (ma.length * mb.length);
        if (avg > best) {
          best = avg;
          bestA = a;
          bestB = b;
        }
      }
    }
    const ma = members[bestA] as number[];
    const mb = members[bestB] as number[];
    merges.push({ a: ma.map((i) => labels[i]), b: mb.map((i) => labels[i]), similarity: best });
    for (let c = 0; c < n; c++) {
      if (members[c] === null || c === bestA || c === bestB) continue;
      sums[bestA][c] += sums[bestB][c];
      sums[c][bestA] = sums[bestA][c];
    }
    members[bestA] = [...ma, ...mb].sort((x, y) => x - y);
    members[bestB] = null;
  }
  return { ok: true, value: { merges, clusters: cut(labels, merges, threshold), threshold } };
}

/** 3. Replay the merges at or above the threshold from singletons. */
function cut(labels: readonly string[], merges: readonly Merge[], threshold: number): string[][] {
  const index = new Map(labels.map((label, i) => [label, i]));
  const clusterOf = labels.map((_, i) => i);
  for (const m of merges) {
    if (m.similarity < threshold) break;
    const target = clusterOf[index.get(m.a[0]) as number];
    const source = clusterOf[index.get(m.b[0]) as number];
    for (let i = 0; i < clusterOf.length; i++) if (clusterOf[i] === source) clusterOf[i] = target;
  }
  const groups = new Map<number, string[]>();
  for (let i = 0; i < labels.length; i++) {
    const g = groups.get(clusterOf[i]);
    if (g === undefined) groups.set(clusterOf[i], [labels[i]]);
    else g.push(labels[i]);
  }
  // Map iteration follows insertion order: clusters by their first member's position.
  return [...groups.values()];
}
