/** sha256 of token ids or weights, for run.json (what data and which base a run used). */
import { createHash } from "node:crypto";

export function sha256Of(...views: ArrayBufferView[]): string {
  const h = createHash("sha256");
  for (const v of views) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return h.digest("hex");
}
