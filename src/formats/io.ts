/**
 * File helpers: positioned reads that loop until full, atomic writes (temp file +
 * rename, so bad input or a crash never leaves a half-written checkpoint, store side
 * file or report), and I/O failures turned into `FormatError`s. Every module that writes
 * a file writes it through here.
 */
import { constants } from "node:buffer";
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { FormatError } from "./errors.js";
import { fail, ok, type Result } from "./result.js";
import { readJsonText, TEXT_LIMITS } from "./text.js";
import { removeStaleTemps } from "./stale-temps.js";

/** Read exactly out.byteLength bytes at `position`; returns the count actually read (short at EOF). */
export async function readAt(fh: FileHandle, out: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < out.byteLength) {
    // one read of 2 GiB or more aborts the process inside Node (its length must be an int32)
    const { bytesRead } = await fh.read(out, done, Math.min(out.byteLength - done, 2 ** 30), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Write all of `bytes` at the file handle's current position. */
export async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

export function ioError(file: string, e: unknown): FormatError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOENT") return { code: "missing_file", file, what: "no such file" };
  return { code: "io_error", file, message: err?.message ?? String(e) };
}

/** Open for reading, with a missing file reported as data. */
export async function openForRead(file: string, what: string): Promise<Result<{ fh: FileHandle; size: number }>> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (e) {
    const err = ioError(file, e);
    return fail(err.code === "missing_file" ? { ...err, what } : err);
  }
  try {
    const s = await fh.stat();
    return ok({ fh, size: s.size });
  } catch (e) {
    await fh.close();
    return fail(ioError(file, e));
  }
}

/**
 * Read a model folder's JSON file (config, index, tokenizer) as strict UTF-8 text (text.ts);
 * a missing file is `missing_file`, a parse error `bad_header`, and anything else wrong
 * with the text (another encoding, an invalid byte, a lone surrogate) `bad_text`.
 */
export async function readJsonFile(file: string, what: string): Promise<Result<unknown>> {
  const r = await readJsonText(file, { limit: TEXT_LIMITS.modelJson });
  if (r.ok) return ok(r.value.value);
  const e = r.error;
  if (e.code === "no_such_file") return fail({ code: "missing_file", file, what });
  if (e.code === "unreadable") return fail({ code: "io_error", file, message: e.message });
  if (e.code === "bad_json") return fail({ code: "bad_header", file, message: `not valid JSON (${e.message})` });
  return fail({ code: "bad_text", file, error: e });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** A temporary name next to `path`, unique to this process and call: `.NAME.<pid>.<random>.tmp`. */
function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Write a file atomically: `write(fh)` fills a temporary file next to `path`, which is
 * synced and renamed over `path` (rename is atomic within one file system, POSIX
 * rename(2)), so a reader sees the old file or the new one, never half of one. On any
 * failure the temporary file is removed and `path` is untouched. A temporary file that a
 * killed earlier write of `path` left behind (its process no longer runs) is removed first.
 */
export async function writeBytesAtomic(path: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  await removeStaleTemps(dirname(path), { of: [basename(path)] }); // what a killed earlier write of this file left
  const tmp = tempNameFor(path);
  const fh = await open(tmp, "w");
  try {
    await write(fh);
    await fh.datasync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Replace directory `dir` by one built in `dir.tmp-<pid>`: rename the old folder aside,
 * rename the new one in, then delete the old one. The new folder is complete before it
 * appears, so a reader never sees a half-written `dir`. NOTE: POSIX cannot swap two
 * directories in one step: a crash between the two renames leaves no `dir`, with the
 * old folder intact as `dir.old-<pid>` (rename it back by hand). Lab runs avoid that
 * window by writing each checkpoint to a new step folder (src/train/run.ts).
 * A `dir.tmp-<pid>` that an earlier killed write left (its process no longer runs) is
 * removed first (stale-temps.ts); a `dir.old-<pid>` is never removed automatically.
 */
export async function replaceDirAtomic(dir: string, build: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  await removeStaleTemps(dirname(dir), { of: [basename(dir)] });
  await rm(tmp, { recursive: true, force: true });
  try {
    await build(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const hadOld = await exists(dir);
  if (hadOld) await rename(dir, old);
  try {
    await rename(tmp, dir);
  } catch (e) {
    if (hadOld) await rename(old, dir);
    throw e;
  }
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/** `writeBytesAtomic` for a text file (JSON, JSONL, HTML, Markdown); creates the parent folder when asked. */
export async function writeTextAtomic(path: string, text: string, o: { mkdir?: boolean } = {}): Promise<void> {
  if (o.mkdir) await mkdir(dirname(resolve(path)), { recursive: true });
  await writeBytesAtomic(path, (fh) => writeAll(fh, Buffer.from(text, "utf8")));
}

/**
 * Allocate a tensor's buffers, refusing one larger than a buffer can be instead of throwing a
 * RangeError: the header was checked against the file's size, but a file can be that large
 * (or sparse), and a tensor past the limit can never be read into one buffer.
 */
export function allocTensor<T>(file: string, tensor: string, numel: number, storedBytes: number, alloc: () => T): Result<T> {
  // MAX_LENGTH bounds a typed array's length (elements) as well as a Buffer's bytes
  const tooLarge: FormatError = { code: "tensor_too_large", file, tensor, elements: numel, limit: constants.MAX_LENGTH };
  if (Math.max(numel, storedBytes) > constants.MAX_LENGTH) return fail(tooLarge);
  try {
    return ok(alloc());
  } catch (e) {
    // below the limit, the allocation itself can still fail (memory); that is the same answer
    if (e instanceof RangeError) return fail(tooLarge);
    throw e;
  }
}
