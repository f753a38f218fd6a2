/**
 * `--world FILE|RUN`: the world a command's built-in items come from — a JSON file of
 * world settings ({ seed?, arithmetic?, knowledge? }), or a lab run folder (or its
 * run.json) whose recipe config recorded them, so a model is measured in the world it
 * was trained in. A bad setting is reported with its field.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { formatTextError, readJsonText, RUN_MANIFEST_FILE, TEXT_LIMITS } from "../formats/index.js";
import { worldSettingsSchema, type WorldSettings } from "../world/index.js";

export interface WorldFile {
  settings: WorldSettings;
  /** Did the file give a seed (else settings.seed is the default, and a command may take its own)? */
  seedGiven: boolean;
}

export async function readWorldFile(path: string): Promise<{ ok: true; value: WorldFile } | { ok: false; message: string }> {
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  const file = isDir ? join(path, RUN_MANIFEST_FILE) : path;
  const read = await readJsonText(file, { limit: TEXT_LIMITS.settings });
  if (!read.ok && read.error.code === "no_such_file") {
    // either kind of --world is meant: a folder without run.json is not a run folder
    return { ok: false, message: `--world ${path}: cannot read ${file} (no such file); give a JSON file of world settings or a lab run folder.` };
  }
  if (!read.ok) {
    const role = { flag: "--world", kind: "a JSON file of world settings or a lab run folder", holds: "a JSON object of world settings ({ seed?, arithmetic?, knowledge? })" };
    return { ok: false, message: formatTextError(read.error, role) };
  }
  const raw = read.value.value;
  // a run.json: the world its recipe config recorded (a recipe without one ran in the default world)
  const recorded = raw !== null && typeof raw === "object" && "recipeConfig" in raw ? (raw as { recipeConfig?: { world?: unknown } }).recipeConfig : undefined;
  const given = recorded !== undefined ? recorded.world ?? {} : raw;
  const r = worldSettingsSchema.safeParse(given);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.code === "unrecognized_keys" ? `unknown setting(s) ${issue.keys.join(", ")}` : `${issue.path.join(".") || "(root)"}: ${issue.message}`;
    return { ok: false, message: `--world ${file}: ${where}; the settings are seed, arithmetic, knowledge (docs/ZOO.md).` };
  }
  const seedGiven = given !== null && typeof given === "object" && "seed" in given;
  return { ok: true, value: { settings: r.data, seedGiven } };
}
