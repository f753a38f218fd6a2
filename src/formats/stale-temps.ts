/**
 * What a write killed mid-way leaves next to its target, and its removal:
 *
 *   NAME.tmp-PID           a folder being built (replaceDirAtomic, lab checkpoints)
 *   .NAME.PID.HEX.tmp      a file being written (writeBytesAtomic)
 *
 * A leftover is removed only when process PID no longer runs on this machine: a live
 * process may still be writing it (another run in the same folder, or this one).
 * NOTE: `NAME.old-PID` (the previous NAME, between replaceDirAtomic's two renames) is
 * never removed: it may be the one complete copy left, and a user's own folder can carry
 * such a name ("merged.old-2024"), which a recursive delete must never touch.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const DIR_TEMP = /^(.+)\.(tmp)-(\d+)$/;
const FILE_TEMP = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Does process `pid` no longer run? (EPERM: it runs, as another user.) */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

interface Leftover {
  /** The name the write was for. */
  replaces: string;
  kind: "tmp" | "file";
  pid: number;
}

function leftoverOf(name: string): Leftover | null {
  const d = DIR_TEMP.exec(name);
  const f = d ? null : FILE_TEMP.exec(name);
  const m = d ?? f;
  if (!m) return null;
  const pid = Number(d ? d[3] : m[2]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { replaces: m[1], kind: d ? "tmp" : "file", pid };
}

/**
 * Remove the leftovers of dead processes in folder `parent` (not below it); with `of`,
 * only those of writes to these names. Returns the paths removed. A missing or unreadable
 * folder has nothing to remove.
 */
export async function removeStaleTemps(parent: string, o: { of?: readonly string[] } = {}): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const l = leftoverOf(name);
    if (!l || (o.of && !o.of.includes(l.replaces)) || !processGone(l.pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    removed.push(join(parent, name));
  }
  return removed;
}
