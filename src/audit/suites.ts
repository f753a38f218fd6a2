/**
 * Built-in item suites from the lab world (src/world): the same items for every model
 * of an audit, a pure function of (world config, world seed, n).
 *
 *   arithmetic   n word problems solved step by step (+ their n N-1 variants)
 *   knowledge    n closed-book questions with options (+ n held-out phrasings, N-1)
 *   structured   n knapsack problems answered as JSON (+ N-1)
 *   programs     n expression specs (+ N-1)
 *   stories      n story openings to continue (+ N-1)
 *   reference    n neutral documents (knowledge and arithmetic text) for drift
 *
 * NOTE: the knowledge world is built from the world seed: audit a lab model with the seed
 * it was pre-trained with (the zoo's is 1, the default), or no fact will match.
 */
import { fromWorld, type Item } from "../probes/index.js";
import { tasks, taskSettings, type Split, type TaskName, type WorldSettings } from "../world/index.js";

export const SUITES = ["arithmetic", "knowledge", "structured", "programs", "stories", "reference"] as const;
export type SuiteName = (typeof SUITES)[number];

/** The default suites: what the zoo's models were pre-trained on, and a reference corpus for drift. */
export const DEFAULT_SUITES: readonly SuiteName[] = ["arithmetic", "knowledge", "reference"];

/**
 * n in-distribution items and their n N-1 variants; or, with `split`, the first n items of
 * that split alone as plain items (not variants), which every probe then measures.
 */
function questions(task: TaskName, world: WorldSettings, n: number, split?: Split): Item[] {
  const t = tasks[task] as (typeof tasks)[TaskName] & { items(a: { config: unknown; seed: number; split: Split; n: number }): ReturnType<(typeof tasks)[TaskName]["items"]> };
  const config = taskSettings(world, task, tasks[task].defaults);
  if (split !== undefined) {
    return t.items({ config, seed: world.seed, split, n }).map((w) => {
      const { variantOf: _variantOf, ...plain } = fromWorld(w);
      return plain;
    });
  }
  const id = t.items({ config, seed: world.seed, split: "id", n });
  const n1 = t.items({ config, seed: world.seed, split: "n1", n });
  return [...id, ...n1].map((w) => fromWorld(w));
}

/** Neutral documents, half knowledge and half arithmetic, as reference items. */
function reference(world: WorldSettings, n: number): Item[] {
  const half = Math.ceil(n / 2);
  const docs = [
    ...tasks.knowledge.documents({ config: world.knowledge, seed: world.seed, n: half }).map((text, i) => ({ text, domain: "knowledge", i })),
    ...tasks.arithmetic.documents({ config: world.arithmetic, seed: world.seed, n: n - half }).map((text, i) => ({ text, domain: "arithmetic", i })),
  ];
  return docs.map((d) => ({ id: `reference/${d.domain}/${world.seed}/${d.i}`, prompt: "", answer: d.text, domain: d.domain, role: "reference" }));
}

/** The items of one suite: a question suite's id items with their N-1 variants, or one split's items alone. */
export function suiteItems(name: SuiteName, world: WorldSettings, n: number, o: { split?: Split } = {}): Item[] {
  return name === "reference" ? reference(world, n) : questions(name, world, n, o.split);
}
