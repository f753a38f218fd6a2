/**
 * Clustered items: items that are not independent (an N-1 parent and its variants, one
 * fact asked in several phrasings, a user's `cluster` field) share a label, and every
 * resampling and variance in src/stats treats the cluster, not the item, as the unit.
 */

/** One label per item; items with the same label form one cluster. */
export type ClusterLabels = readonly string[];

export interface ClusterTotals {
  /** Per cluster (in order of first appearance): the sum of the items' values. */
  sums: number[];
  /** Per cluster: its number of items. */
  sizes: number[];
  /** Per cluster: the indexes of its items. */
  members: number[][];
}

/** Values summed by cluster; without labels every item is its own cluster. */
export function clusterTotals(values: readonly number[], labels?: ClusterLabels): ClusterTotals {
  if (labels && labels.length !== values.length) throw new RangeError(`one cluster label per item: ${labels.length} labels for ${values.length} values`);
  const at = new Map<string, number>();
  const out: ClusterTotals = { sums: [], sizes: [], members: [] };
  values.forEach((v, i) => {
    const key = labels ? labels[i] : String(i);
    let k = at.get(key);
    if (k === undefined) {
      k = out.sums.length;
      at.set(key, k);
      out.sums.push(0);
      out.sizes.push(0);
      out.members.push([]);
    }
    out.sums[k] += v;
    out.sizes[k]++;
    out.members[k].push(i);
  });
  return out;
}
