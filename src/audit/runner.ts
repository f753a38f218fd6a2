/**
 * Runs the probes over a base model and one or more tuned models on the same items and
 * stores every per-item record as it completes (store.ts), so an interrupted audit
 * resumes where it stopped. The statistics are computed afterwards from the stored
 * records only (ledger.ts): a resumed run and an uninterrupted one read the same data.
 *
 *   1. The manifest (models' content ids, prompt formats, probes and their versions,
 *      items, seeds) names the run: its hash is the run id.
 *   2. Arms: the base; each tuned model in its own format; and, when the formats differ,
 *      each tuned model in the base's format (task.accuracy only: "learned the format"
 *      versus "gained the capability").
 *   3. For each arm and probe: the items it applies to, minus those already stored.
 *   4. Every arm and probe at once (schedule.ts), each model behind one batching layer
 *      (src/backends withBatching) shared by every arm that uses it, so the probes' batches
 *      meet in full backend calls; or, with `schedule: "sequential"`, one after another on
 *      the models as given. The records are the same either way.
 */
import { CallQueue, withBatching, type LanguageModel } from "../backends/index.js";
import { isContextError, promptFormatName, renderer, type Item, type Probe, type ProbeContext, type PromptFormat, type PromptedModel } from "../probes/index.js";
import type { RunStore } from "./store.js";
import { sha256Text } from "../random/index.js";
import { OrderedProgress, runTasks, type Schedule, type Task } from "./schedule.js";

export const MANIFEST_SCHEMA = "ftledger.audit/1";
/** The probe run again in the base's format when the formats differ. */
export const SAME_FORMAT_PROBE = "task.accuracy";

export interface AuditModel {
  /** What the user gave (builtin:…, gguf:…, openai:…); display only, the id is the identity. */
  spec: string;
  model: LanguageModel;
  format: PromptFormat;
  /** Where it runs ("cpu (native kernels)", "cuda: NVIDIA H200 (llama.cpp)", "remote (1 endpoint)"); display only. Default: the model's own `device`. */
  device?: string;
}

export interface AuditSettings {
  seed: number;
  samples: number;
  maxTokens: number;
  batchSize: number;
  /** Also score each tuned model in the base's prompt format (when it differs). */
  sameFormat: boolean;
  /**
   * The probes run again in the base's format (default: task.accuracy alone). Recorded in
   * the manifest only when given, so runs that leave it out keep their ids.
   */
  sameFormatProbes?: string[];
}

/** Which model an arm runs, and whether it is a tuned model prompted in the base's format. */
export interface ArmId {
  /** 0 for the base; the 1-based index of a tuned model. */
  index: number;
  /** A tuned model prompted in the base's prompt format instead of its own. */
  inBaseFormat: boolean;
}

const IN_BASE_FORMAT = "@base-format";

/** The store's key of an arm: "base", "tuned1", "tuned1@base-format". */
export function armKey(a: ArmId): string {
  return a.index === 0 ? "base" : `tuned${a.index}${a.inBaseFormat ? IN_BASE_FORMAT : ""}`;
}

/** The arm a store key names, or null for a key that is none of armKey's. */
export function parseArmKey(key: string): ArmId | null {
  if (key === "base") return { index: 0, inBaseFormat: false };
  const m = /^tuned([1-9][0-9]*)(@base-format)?$/.exec(key);
  return m ? { index: Number(m[1]), inBaseFormat: m[2] !== undefined } : null;
}

export interface Arm extends ArmId {
  /** armKey of this arm: the store's name for it. */
  key: string;
  role: "base" | "tuned";
  model: AuditModel;
  format: PromptFormat;
  probes: Probe[];
}

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  settings: AuditSettings;
  /** `device`: where the model ran (display only, not part of the run id); absent when its backend does not say, and in runs made before it existed. */
  models: { role: "base" | "tuned"; index: number; spec: string; id: string; format: string; device?: string }[];
  arms: { key: string; model: number; format: string; probes: string[] }[];
  probes: { id: string; version: number }[];
  items: { count: number; sha256: string; sources: string[] };
}

export interface AuditProgress {
  arm: string;
  probe: string;
  /** Items done (stored before this run included) and to do, for this arm and probe. */
  done: number;
  total: number;
  /** Items that were already stored when this arm and probe started. */
  resumed: number;
}

export interface UnavailableProbe {
  arm: string;
  probe: string;
  reason: string;
}

export interface AuditRun {
  runId: string;
  manifest: Manifest;
  arms: Arm[];
  resumed: boolean;
  /** Records computed by this process (not resumed). */
  computed: number;
  unavailable: UnavailableProbe[];
}

/** The arms of an audit (step 2). */
export function armsOf(base: AuditModel, tuned: readonly AuditModel[], probes: readonly Probe[], settings: AuditSettings): Arm[] {
  const arm = (id: ArmId, model: AuditModel, format: PromptFormat, ps: Probe[]): Arm =>
    ({ key: armKey(id), ...id, role: id.index === 0 ? "base" : "tuned", model, format, probes: ps });
  const arms: Arm[] = [arm({ index: 0, inBaseFormat: false }, base, base.format, [...probes])];
  const sameIds = settings.sameFormatProbes ?? [SAME_FORMAT_PROBE];
  const same = probes.filter((p) => sameIds.includes(p.id));
  tuned.forEach((t, i) => {
    arms.push(arm({ index: i + 1, inBaseFormat: false }, t, t.format, [...probes]));
    if (settings.sameFormat && same.length > 0 && promptFormatName(t.format) !== promptFormatName(base.format)) {
      arms.push(arm({ index: i + 1, inBaseFormat: true }, t, base.format, same));
    }
  });
  return arms;
}

export function manifestOf(base: AuditModel, tuned: readonly AuditModel[], arms: readonly Arm[], probes: readonly Probe[], items: readonly Item[], sources: string[], settings: AuditSettings): Manifest {
  return {
    schema: MANIFEST_SCHEMA,
    settings,
    models: [base, ...tuned].map((m, i) => {
      const device = m.device ?? m.model.device;
      return { role: i === 0 ? "base" : "tuned", index: i, spec: m.spec, id: m.model.id, format: promptFormatName(m.format), ...(device !== undefined ? { device } : {}) };
    }),
    arms: arms.map((a) => ({ key: a.key, model: a.index, format: promptFormatName(a.format), probes: a.probes.map((p) => p.id) })),
    probes: probes.map((p) => ({ id: p.id, version: p.version })),
    items: { count: items.length, sha256: sha256Text(JSON.stringify(items)), sources },
  };
}

/**
 * The run id: a hash of everything that decides the records — not the specs' paths
 * (display only), the devices (display only: a GPU that changes results is in the model id,
 * src/backends/llamacpp/gpu.ts) nor the batch size (records do not depend on batching, probe.ts).
 */
export function runIdOf(m: Manifest): string {
  const { batchSize: _batchSize, ...settings } = m.settings;
  const identity = { ...m, settings, models: m.models.map(({ spec: _spec, device: _device, ...rest }) => rest), items: { count: m.items.count, sha256: m.items.sha256 } };
  return sha256Text(JSON.stringify(identity)).slice(0, 16);
}

/** Items a probe measures: variants only for probes that use them (probe.ts usesVariants). */
export function itemsFor(probe: Probe, items: readonly Item[]): Item[] {
  return items.filter((it) => (it.variantOf === undefined || probe.usesVariants === true) && probe.applies(it));
}

export interface RunAuditOptions {
  base: AuditModel;
  tuned: AuditModel[];
  probes: Probe[];
  items: Item[];
  /** Where the items came from (suites, dataset files), recorded in the manifest. */
  sources: string[];
  settings: AuditSettings;
  store: RunStore;
  /** Progress per arm and probe, always in the order of a sequential run (schedule.ts). */
  onProgress?: (p: AuditProgress) => void;
  /** "concurrent" (default): every arm and probe at once, their calls merged; "sequential": one after another. */
  schedule?: Schedule;
}

/**
 * The models the probes call: each distinct model behind one batching layer (a context
 * error is isolated to the caller whose prompt did not fit: probes/respond.ts then sends
 * that batch's requests one by one), all in one queue, so no two models compute at once (a
 * sequential audit never had them do so either: a server that serves both keeps to its
 * --concurrency); the models as given for a sequential run.
 */
function callModels(o: RunAuditOptions): (m: LanguageModel) => LanguageModel {
  if (o.schedule === "sequential") return (m) => m;
  const queue = new CallQueue();
  const wrapped = new Map<LanguageModel, LanguageModel>();
  return (m) => {
    let w = wrapped.get(m);
    if (!w) wrapped.set(m, (w = withBatching(m, { isolate: isContextError, queue })));
    return w;
  };
}

/** Steps 1–4: compute and store every missing record. */
export async function runAudit(o: RunAuditOptions): Promise<AuditRun> {
  const arms = armsOf(o.base, o.tuned, o.probes, o.settings);
  const manifest = manifestOf(o.base, o.tuned, arms, o.probes, o.items, o.sources, o.settings);
  const runId = runIdOf(manifest);
  const { existed } = o.store.beginRun(runId, manifest, o.items);
  const byId = new Map(o.items.map((it) => [it.id, it]));
  const call = callModels(o);
  const scorer: PromptedModel = { model: call(o.base.model), render: renderer(o.base.model, o.base.format), format: promptFormatName(o.base.format) };
  let computed = 0;
  const unavailable: UnavailableProbe[] = [];
  const tasks: Task[] = [];
  const pending: AuditProgress[] = [];
  for (const arm of arms) {
    const model = call(arm.model.model);
    const ctx: ProbeContext = {
      render: renderer(arm.model.model, arm.format),
      scorer,
      reference: scorer,
      seed: o.settings.seed,
      samples: o.settings.samples,
      maxTokens: o.settings.maxTokens,
      batchSize: o.settings.batchSize,
      itemById: (id) => byId.get(id),
    };
    for (const probe of arm.probes) {
      const why = probe.unavailable?.(arm.model.model) ?? (arm.role === "tuned" ? probe.unavailable?.(o.base.model) : undefined);
      if (why) {
        unavailable.push({ arm: arm.key, probe: probe.id, reason: why });
        continue;
      }
      const applicable = itemsFor(probe, o.items);
      if (applicable.length === 0) {
        unavailable.push({ arm: arm.key, probe: probe.id, reason: "none of the audit's items is of a kind it measures (see docs/PROBES.md for what each probe needs)" });
        continue;
      }
      const done = o.store.doneItems(runId, arm.key, probe.id);
      const todo = applicable.filter((it) => !done.has(it.id));
      const resumed = applicable.length - todo.length;
      const at = (count: number): AuditProgress => ({ arm: arm.key, probe: probe.id, done: count, total: applicable.length, resumed });
      pending.push(at(resumed));
      const task = tasks.length;
      tasks.push(async (stopped) => {
        let count = resumed;
        const wanted = new Set(todo.map((it) => it.id));
        if (todo.length > 0) {
          for await (const record of probe.run(model, todo, ctx)) {
            if (stopped()) return; // another task failed: store nothing more
            if (!wanted.delete(record.itemId)) throw new Error(`probe ${probe.id} returned a record for item "${record.itemId}", which it was not given (or twice)`);
            o.store.putRecord(runId, arm.key, probe.id, record);
            computed++;
            progress.report(task, at(++count));
          }
        }
        if (wanted.size > 0) throw new Error(`probe ${probe.id} returned no record for ${wanted.size} item(s), e.g. "${[...wanted][0]}"`);
        progress.finish(task);
      });
    }
  }
  // the tasks report through this once they run (every task is known by now)
  const progress = new OrderedProgress<AuditProgress>(tasks.length, o.onProgress);
  pending.forEach((p, i) => progress.report(i, p));
  await runTasks(tasks, o.schedule ?? "concurrent");
  return { runId, manifest, arms, resumed: existed, computed, unavailable };
}
