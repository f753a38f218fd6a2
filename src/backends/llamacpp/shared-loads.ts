/**
 * Reference-counted shared loads: the first `acquire(key, load)` starts the load and later
 * ones share it; `release(key)` by the last user disposes the value. A load that fails is
 * forgotten, so the next acquire tries again. Used for one llama.cpp binding per device
 * (model.ts) and one `LlamaModel` per GGUF file (shared-model.ts).
 */
interface Entry<V> {
  value: Promise<V>;
  users: number;
}

export class SharedLoads<K, V> {
  private readonly entries = new Map<K, Entry<V>>();

  constructor(private readonly dispose: (value: V) => Promise<void>) {}

  /** Keys held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The value under `key`: the one loaded (or loading) already, else `load()`'s. */
  async acquire(key: K, load: () => Promise<V>): Promise<V> {
    let e = this.entries.get(key);
    if (!e) {
      const entry: Entry<V> = { value: load(), users: 0 };
      this.entries.set(key, (e = entry));
      entry.value.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    e.users++;
    try {
      return await e.value;
    } catch (err) {
      e.users--;
      throw err;
    }
  }

  /** One user is done with `key`; the last disposes its value. Says which happened ("absent": the key is not held). */
  async release(key: K): Promise<"held" | "disposed" | "absent"> {
    const e = this.entries.get(key);
    if (!e) return "absent";
    if (--e.users > 0) return "held";
    this.entries.delete(key);
    await this.dispose(await e.value);
    return "disposed";
  }
}
