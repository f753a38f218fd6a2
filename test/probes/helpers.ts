/**
 * Shared pieces of the probe tests: a ProbeContext builder, a collector for the records
 * a probe yields, and the world items most tests run on (seed 1).
 */
import { openModel, type LanguageModel } from "../../src/backends/index.js";
import { fromWorld, type Item, type ProbeContext } from "../../src/probes/index.js";
import { tasks, type arithmetic, type Split, type Task, type TaskName } from "../../src/world/index.js";
import { fakeModel } from "./fake-model.js";

/**
 * A ProbeContext with the identity render, `model` (a blank fake when omitted) as the
 * scorer and the reference in the raw format, seed 1, 1 sample, 64 tokens, batches of 4
 * and no items by id; `over` replaces any of these.
 */
export function probeContext(model: LanguageModel = fakeModel({}), over: Partial<ProbeContext> = {}): ProbeContext {
  const prompted = { model, render: (p: string) => p, format: "raw" };
  return { render: (p) => p, scorer: prompted, reference: prompted, seed: 1, samples: 1, maxTokens: 64, batchSize: 4, itemById: () => undefined, ...over };
}

/** An `itemById` that finds the items of `items`. */
export function lookup(items: readonly Item[]): (id: string) => Item | undefined {
  const byId = new Map(items.map((i) => [i.id, i]));
  return (id) => byId.get(id);
}

/** Everything an async iterable yields, in order. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** `n` world items of `task` (its default config, seed 1) as probe items. */
export function worldItems(task: TaskName, n: number, split: Split = "id"): Item[] {
  const t = tasks[task] as Task;
  return t.items({ config: t.defaults, seed: 1, split, n }).map(fromWorld);
}

/** `n` arithmetic world items (default config, seed 1), with their solutions in every format. */
export function arithmeticWorld(n = 3, split: Split = "id"): arithmetic.ArithmeticItem[] {
  return tasks.arithmetic.items({ config: tasks.arithmetic.defaults, seed: 1, split, n }) as arithmetic.ArithmeticItem[];
}

/** Runs `fn` on the model `spec` opens ("builtin:zoo/base-m"), and closes it after, whatever happens. */
export async function withModel<T>(spec: string, fn: (model: LanguageModel) => Promise<T>): Promise<T> {
  const model = await openModel(spec);
  try {
    return await fn(model);
  } finally {
    await model.close();
  }
}
