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
 */
import type { LanguageModel } from "../backends/index.js";
import { promptFormatName, renderer, type Item, type Probe, type ProbeContext, type PromptFormat, type PromptedModel } from "../probes/index.js";
import type { RunStore } from "./store.js";
import { sha256Text } from "../random/index.js";

export const MANIFEST_SCHEMA = "ftledger.audit/1";
/** The probe run again in the base's format when the formats differ. */
export const SAME_FORMAT_PROBE = "task.accuracy";

export interface AuditModel {
  /** What the user gave (builtin:…, gguf:…, openai:…); display only, the id is the identity. */
  spec: string;
  model: LanguageModel;
  format: PromptFormat;
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
  models: { role: "base" | "tuned"; index: number; spec: string; id: string; format: string }[];
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
    models: [base, ...tuned].map((m, i) => ({ role: i === 0 ? "base" : "tuned", index: i, spec: m.spec, id: m.model.id, format: promptFormatName(m.format) })),
    arms: arms.map((a) => ({ key: a.key, model: a.index, format: promptFormatName(a.format), probes: a.probes.map((p) => p.id) })),
    probes: probes.map((p) => ({ id: p.id, version: p.version })),
    items: { count: items.length, sha256: sha256Text(JSON.stringify(items)), sources },
  };
}

/**
 * The run id: a hash of everything that decides the records — not the specs' paths
 * (display only) nor the batch size (records do not depend on batching, probe.ts).
 */
export function runIdOf(m: Manifest): string {
  const { batchSize: _batchSize, ...settings } = m.settings;
  const identity = { ...m, settings, models: m.models.map(({ spec: _spec, ...rest }) => rest), items: { count: m.items.count, sha256: m.items.sha256 } };
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
  onProgress?: (p: AuditProgress) => void;
}

/** Steps 1–3: compute and store every missing record. */
export async function runAudit(o: RunAuditOptions): Promise<AuditRun> {
  const arms = armsOf(o.base, o.tuned, o.probes, o.settings);
  const manifest = manifestOf(o.base, o.tuned, arms, o.probes, o.items, o.sources, o.settings);
  const runId = runIdOf(manifest);
  const { existed } = o.store.beginRun(runId, manifest, o.items);
  const byId = new Map(o.items.map((it) => [it.id, it]));
  const scorer: PromptedModel = { model: o.base.model, render: renderer(o.base.model, o.base.format), format: promptFormatName(o.base.format) };
  let computed = 0;
  const unavailable: UnavailableProbe[] = [];
  for (const arm of arms) {
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
      let count = resumed;
      o.onProgress?.({ arm: arm.key, probe: probe.id, done: count, total: applicable.length, resumed });
      if (todo.length === 0) continue;
      const wanted = new Set(todo.map((it) => it.id));
      for await (const record of probe.run(arm.model.model, todo, ctx)) {
        if (!wanted.delete(record.itemId)) throw new Error(`probe ${probe.id} returned a record for item "${record.itemId}", which it was not given (or twice)`);
        o.store.putRecord(runId, arm.key, probe.id, record);
        computed++;
        o.onProgress?.({ arm: arm.key, probe: probe.id, done: ++count, total: applicable.length, resumed });
      }
      if (wanted.size > 0) throw new Error(`probe ${probe.id} returned no record for ${wanted.size} item(s), e.g. "${[...wanted][0]}"`);
    }
  }
  return { runId, manifest, arms, resumed: existed, computed, unavailable };
}
