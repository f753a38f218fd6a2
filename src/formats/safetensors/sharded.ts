/**
 * Sharded safetensors (Hugging Face layout): `model.safetensors.index.json` holds
 * `{ "metadata"?: {...}, "weight_map": { tensor: shard file } }`; each shard is an
 * ordinary safetensors file in the same folder. `openSafetensorsModel(dir)` presents
 * either layout as one `TensorSource`.
 */
import { basename, dirname, join } from "node:path";
import { exists, readJsonFile } from "../io.js";
import { fail, ok, type Result } from "../result.js";
import { openSafetensors, type TensorSource } from "./reader.js";
import { INDEX_FILE, SINGLE_FILE } from "./writer.js";

/** Open the weights of a model folder: the sharded index if present, else model.safetensors. */
export async function openSafetensorsModel(dir: string): Promise<Result<TensorSource>> {
  const index = join(dir, INDEX_FILE);
  if (await exists(index)) return openShardedSafetensors(index);
  return openSafetensors(join(dir, SINGLE_FILE));
}

/** Open every shard named by an index file and merge them into one view. */
export async function openShardedSafetensors(indexPath: string): Promise<Result<TensorSource>> {
  const raw = await readJsonFile(indexPath, "sharded safetensors index");
  if (!raw.ok) return raw.error.code === "bad_header" ? fail({ code: "bad_index", file: indexPath, message: raw.error.message }) : raw;
  const weightMap = (raw.value as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    return fail({ code: "bad_index", file: indexPath, message: `"weight_map" is missing or not an object` });
  }
  const wanted = new Map<string, string>(); // tensor → shard file name
  for (const [tensor, shard] of Object.entries(weightMap)) {
    // NOTE: shard names must be plain file names in the same folder (no path traversal)
    if (typeof shard !== "string" || shard !== basename(shard) || shard === "." || shard === "..") {
      return fail({ code: "bad_index", file: indexPath, tensor, message: `shard ${JSON.stringify(shard)} is not a file name in the index's folder` });
    }
    wanted.set(tensor, shard);
  }
  const shards = new Map<string, TensorSource>();
  const closeAll = () => Promise.all([...shards.values()].map((s) => s.close()));
  for (const shard of new Set(wanted.values())) {
    const opened = await openSafetensors(join(dirname(indexPath), shard));
    if (!opened.ok) {
      await closeAll();
      return opened;
    }
    shards.set(shard, opened.value);
  }
  for (const [tensor, shard] of wanted) {
    if (!shards.get(shard)!.info(tensor)) {
      await closeAll();
      return fail({ code: "bad_index", file: indexPath, tensor, message: `the index places it in ${shard}, which does not contain it` });
    }
  }
  // names in shard order, then file order within each shard (tensors absent from the index are ignored)
  const names = [...shards].flatMap(([shard, s]) => s.names().filter((n) => wanted.get(n) === shard));
  const first = shards.values().next().value;
  const source: TensorSource = {
    path: indexPath,
    metadata: first ? first.metadata : {},
    names: () => [...names],
    info: (name) => {
      const shard = wanted.get(name);
      return shard === undefined ? undefined : shards.get(shard)!.info(name);
    },
    fileOf: (name) => {
      const shard = wanted.get(name);
      return shard === undefined ? undefined : shards.get(shard)!.path;
    },
    readTensor: async (name, out) => {
      const shard = wanted.get(name);
      if (shard === undefined) return fail({ code: "no_such_tensor", file: indexPath, tensor: name });
      return shards.get(shard)!.readTensor(name, out);
    },
    close: async () => {
      await closeAll();
    },
  };
  return ok(source);
}
