/**
 * The `variant_of` forest of a dataset, checked and resolved in one linear pass.
 *
 * Every item either is an original (no variant_of) or names its parent. Following the
 * parents from an item ends in one of three ways:
 *   1. at an original: the item is kept, and a variant without a `cluster` of its own joins
 *      its parent's cluster (which is right unless the parent names another one);
 *   2. at an id that is not a kept item (missing, or a bad line): the item is an orphan;
 *   3. back on the walk itself (a → a, a → b → a): the items on the loop have no original
 *      to be compared with — and variants stay out of task.accuracy — so they would
 *      quietly measure nothing. Each is a bad line naming the loop; their variants are orphans.
 * Each item is visited once (an explicit walk, no recursion): a chain of 100,000 variants
 * neither overflows the stack nor costs n² (both happened with the recursive version).
 */
import { clusterOf, type Item } from "../probes/index.js";

export type VariantFate =
  | { kind: "kept"; cluster: string }
  | { kind: "orphan"; parent: string }
  | { kind: "loop"; loop: readonly string[] };

/** Ids shown when a loop is named; a longer loop is shortened with its length. */
const LOOP_SHOWN = 6;

/** The fate of every item, by id. */
export function resolveVariants(items: readonly Item[]): Map<string, VariantFate> {
  const byId = new Map(items.map((it) => [it.id, it]));
  const fate = new Map<string, VariantFate>();
  for (const start of items) {
    if (fate.has(start.id)) continue;
    // 1. walk up until an original, a missing parent, an item already resolved, or this walk again
    const path: Item[] = [];
    const onPath = new Map<string, number>();
    let cur: Item | undefined = start;
    let end: VariantFate | undefined;
    while (cur && !fate.has(cur.id) && !onPath.has(cur.id)) {
      onPath.set(cur.id, path.length);
      path.push(cur);
      if (cur.variantOf === undefined) break;
      const parent = byId.get(cur.variantOf);
      if (!parent) {
        end = { kind: "orphan", parent: cur.variantOf };
        break;
      }
      cur = parent;
    }
    // 2. a loop: the items from where the walk came back are on it
    let below = path.length;
    if (cur && onPath.has(cur.id) && path[path.length - 1].variantOf === cur.id) {
      below = onPath.get(cur.id)!;
      const loop = path.slice(below).map((it) => it.id);
      for (const id of loop) fate.set(id, { kind: "loop", loop });
    }
    // 3. back down the walk: each item's fate follows its parent's
    for (let i = below - 1; i >= 0; i--) {
      const item = path[i];
      if (item.variantOf === undefined) {
        fate.set(item.id, { kind: "kept", cluster: item.cluster ?? clusterOf(item) });
        continue;
      }
      const parentFate = i + 1 < path.length ? fate.get(path[i + 1].id) : (fate.get(item.variantOf) ?? end);
      fate.set(item.id, parentFate?.kind === "kept"
        ? { kind: "kept", cluster: item.cluster ?? parentFate.cluster }
        : { kind: "orphan", parent: item.variantOf });
    }
  }
  return fate;
}

/** The loop as seen from `id` ("a" → "b" → "a"), shortened past LOOP_SHOWN ids. */
export function describeLoop(loop: readonly string[], id: string): string {
  const k = loop.indexOf(id);
  const from = [...loop.slice(k), ...loop.slice(0, k)];
  const shown = from.length <= LOOP_SHOWN ? [...from, id] : [...from.slice(0, LOOP_SHOWN - 1), `… ${from.length - LOOP_SHOWN + 1} more`, id];
  return shown.map((x) => (x.startsWith("… ") ? x : `"${x}"`)).join(" → ");
}
