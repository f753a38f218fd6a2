/**
 * Content identity of a GGUF file: sha256 of its bytes (weights, tokenizer and every
 * metadata key are all in the one file). Streamed, and cached per process by
 * (path, size, mtime) so reopening a multi-GB model does not hash it again.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";

const cache = new Map<string, Promise<string>>();

/** "gguf:<sha256 hex>" of the file's content. */
export async function ggufFileId(path: string): Promise<string> {
  const abs = resolve(path);
  const s = await stat(abs);
  const key = `${abs}\0${s.size}\0${s.mtimeMs}`;
  let id = cache.get(key);
  if (!id) {
    id = hashFile(abs).then((hex) => `gguf:${hex}`);
    cache.set(key, id);
    id.catch(() => cache.delete(key));
  }
  return id;
}

function hashFile(path: string): Promise<string> {
  return new Promise((done, failed) => {
    const h = createHash("sha256");
    createReadStream(path, { highWaterMark: 1 << 22 })
      .on("data", (chunk) => h.update(chunk))
      .on("error", failed)
      .on("end", () => done(h.digest("hex")));
  });
}
