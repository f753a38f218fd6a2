/**
 * The one strict way to read a user's text file: UTF-8 only, decoded with a fatal
 * decoder (an invalid byte is an error naming its line and offset, never a silent
 * U+FFFD), UTF-16/UTF-32 recognised and named, a UTF-8 byte-order mark dropped, the size
 * checked by stat before anything is read, and — for JSON — no lone surrogates in the
 * parsed strings. Line-oriented files are streamed in chunks: a line longer than the
 * line limit is counted and skipped, never held in memory or parsed.
 */
import { open, type FileHandle } from "node:fs/promises";
import type { TextError } from "./text-errors.js";
import { firstInvalidUtf8, loneSurrogateField, sniffOtherEncoding } from "./utf8.js";

export type TextResult<T> = { ok: true; value: T } | { ok: false; error: TextError };

const MiB = 1 << 20;

/** Default limits, each with its reason (shown in the error when a file exceeds it). */
export const TEXT_LIMITS = {
  line: { bytes: MiB, reason: "1 MiB is about 250k tokens, beyond nearly every model's context window; a longer line is usually a whole document pasted as one item" },
  jsonl: { bytes: 1024 * MiB, reason: "1 GiB is far above any evaluation set (MMLU's 14k questions are about 8 MB), and every item is held in memory" },
  settings: { bytes: 16 * MiB, reason: "a settings file is a few kilobytes; a larger one is not a settings file" },
  modelJson: { bytes: 256 * MiB, reason: "the largest Hugging Face tokenizer.json files are tens of megabytes" },
} as const;

export interface TextLimit {
  bytes: number;
  reason: string;
}

export interface ReadTextOptions {
  limit: TextLimit;
  /** An empty (or all-whitespace) file is an `empty_file` error unless this is true. */
  allowEmpty?: boolean;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const hasUtf8Bom = (b: Uint8Array) => b.length >= 3 && UTF8_BOM.every((x, i) => b[i] === x);

/** Open `file` for reading after checking that it exists, is not a folder and is within the limit. */
async function openChecked(file: string, limit: TextLimit): Promise<TextResult<FileHandle>> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, error: { code: "no_such_file", file } };
    if (code === "EISDIR") return { ok: false, error: { code: "is_directory", file } };
    return { ok: false, error: { code: "unreadable", file, message: (e as Error).message } };
  }
  try {
    const s = await fh.stat();
    const error: TextError | null = s.isDirectory() ? { code: "is_directory", file }
      : s.size > limit.bytes ? { code: "file_too_large", file, bytes: s.size, limit: limit.bytes, reason: limit.reason } : null;
    if (error === null) return { ok: true, value: fh };
    await fh.close();
    return { ok: false, error };
  } catch (e) {
    await fh.close().catch(() => undefined);
    return { ok: false, error: { code: "unreadable", file, message: (e as Error).message } };
  }
}

/** The invalid_utf8 error for `bytes` (a line starting at file offset `start`, or the whole file). */
function invalidAt(file: string, bytes: Uint8Array, start: number, firstLine: number): TextError {
  const i = firstInvalidUtf8(bytes);
  let line = firstLine;
  let lineStart = 0;
  for (let j = bytes.indexOf(10); j !== -1 && j < i; j = bytes.indexOf(10, j + 1)) {
    line++;
    lineStart = j + 1;
  }
  return { code: "invalid_utf8", file, line, column: i - lineStart + 1, offset: start + i, byte: bytes[i] };
}

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decode `bytes` (file offset `start`, first line `line`) or say where they stop being UTF-8. */
function decode(file: string, bytes: Uint8Array, start: number, line: number): TextResult<string> {
  try {
    return { ok: true, value: fatal.decode(bytes) };
  } catch {
    return { ok: false, error: invalidAt(file, bytes, start, line) };
  }
}

/** A whole text file (a settings file, a model's JSON) as a string. */
export async function readTextFile(file: string, o: ReadTextOptions): Promise<TextResult<string>> {
  const opened = await openChecked(file, o.limit);
  if (!opened.ok) return opened;
  let bytes: Uint8Array;
  try {
    bytes = await opened.value.readFile();
  } catch (e) {
    return { ok: false, error: { code: "unreadable", file, message: (e as Error).message } };
  } finally {
    await opened.value.close();
  }
  const other = sniffOtherEncoding(bytes);
  if (other) return { ok: false, error: { code: "other_encoding", file, ...other } };
  const start = hasUtf8Bom(bytes) ? 3 : 0;
  const text = decode(file, bytes.subarray(start), start, 1);
  if (text.ok && !o.allowEmpty && text.value.trim() === "") return { ok: false, error: { code: "empty_file", file } };
  return text;
}

/** The 1-based line of a JSON.parse error, when its message gives a position. */
function jsonErrorLine(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (!m) return undefined;
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < Number(m[1]); i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * JSON.parse with the strict reader's rules: a parse error names its line when it can,
 * and a lone surrogate in any string is an error naming the field (`line` when the text
 * is one line of a JSONL file).
 */
export function parseJsonText(text: string, file: string, line?: number): TextResult<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    return { ok: false, error: { code: "bad_json", file, line: line ?? jsonErrorLine(text, message), message } };
  }
  const field = loneSurrogateField(value);
  if (field !== null) return { ok: false, error: { code: "lone_surrogate", file, ...(line === undefined ? {} : { line }), field } };
  return { ok: true, value };
}

/** A whole JSON file: its text (for content hashes) and its value. */
export async function readJsonText(file: string, o: ReadTextOptions): Promise<TextResult<{ text: string; value: unknown }>> {
  const text = await readTextFile(file, o);
  if (!text.ok) return text;
  const value = parseJsonText(text.value, file);
  return value.ok ? { ok: true, value: { text: text.value, value: value.value } } : value;
}

/**
 * One event of `readTextLines`: a line's text (blank lines included, so numbers count
 * every line), a line over the limit (skipped unread: the caller decides whether that
 * fails the file), or an error about the whole file, which ends the stream.
 */
export type TextLine =
  | { kind: "line"; line: number; text: string }
  | { kind: "too_long"; line: number; error: Extract<TextError, { code: "line_too_long" }> }
  | { kind: "error"; error: TextError };

export interface ReadLinesOptions extends ReadTextOptions {
  lineLimit?: TextLimit;
}

/** The lines of a UTF-8 file, read in 64 KiB chunks: memory stays at one line (≤ the line limit) plus one chunk. */
export async function* readTextLines(file: string, o: ReadLinesOptions): AsyncGenerator<TextLine> {
  const lineLimit = o.lineLimit ?? TEXT_LIMITS.line;
  const opened = await openChecked(file, o.limit);
  if (!opened.ok) return yield { kind: "error", error: opened.error };
  const fh = opened.value;
  try {
    const chunk = new Uint8Array(64 * 1024);
    let parts: Uint8Array[] = []; // the current line's bytes so far, while within the limit
    let lineBytes = 0;
    let lineStart = 0; // file offset of the current line
    let line = 1;
    let total = 0;
    let content = false;
    const end = (): TextLine => {
      if (lineBytes > lineLimit.bytes) {
        return { kind: "too_long", line, error: { code: "line_too_long", file, line, bytes: lineBytes, limit: lineLimit.bytes, reason: lineLimit.reason } };
      }
      const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const text = decode(file, bytes, lineStart, line);
      return text.ok ? { kind: "line", line, text: text.value } : { kind: "error", error: text.error };
    };
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      let view = chunk.subarray(0, bytesRead);
      if (total === 0) {
        const other = sniffOtherEncoding(view);
        if (other) return yield { kind: "error", error: { code: "other_encoding", file, ...other } };
        if (hasUtf8Bom(view)) {
          view = view.subarray(3);
          lineStart = 3;
        }
      }
      total += bytesRead;
      // a file that grows while it is read (or a pipe, whose size stat cannot tell) still stops at the limit
      if (total > o.limit.bytes) return yield { kind: "error", error: { code: "file_too_large", file, bytes: total, limit: o.limit.bytes, reason: o.limit.reason } };
      for (let pos = 0; pos < view.length; ) {
        const nl = view.indexOf(10, pos);
        const piece = view.subarray(pos, nl === -1 ? view.length : nl);
        lineBytes += piece.length;
        // copy: `chunk` is reused by the next read
        if (lineBytes <= lineLimit.bytes) parts.push(nl === -1 ? piece.slice() : piece);
        else parts = [];
        if (nl === -1) break;
        const ev = end();
        if (ev.kind === "error") return yield ev;
        if (ev.kind === "too_long" || ev.text.trim() !== "") content = true;
        yield ev;
        lineStart += lineBytes + 1;
        line++;
        parts = [];
        lineBytes = 0;
        pos = nl + 1;
      }
    }
    if (lineBytes > 0) {
      const ev = end();
      if (ev.kind === "error") return yield ev;
      if (ev.kind === "too_long" || ev.text.trim() !== "") content = true;
      yield ev;
    }
    if (!content && !o.allowEmpty) yield { kind: "error", error: { code: "empty_file", file } };
  } catch (e) {
    yield { kind: "error", error: { code: "unreadable", file, message: (e as Error).message } };
  } finally {
    await fh.close();
  }
}
