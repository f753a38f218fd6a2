/**
 * Request cache: SQLite, keyed by model id + the full deterministic request
 * (docs/PROBES.md §7). Shared safely by concurrent processes.
 *
 *   const cache = openRequestCache(".ftledger/cache.sqlite");
 *   const model = withCache(await openModel(spec), cache);   // same id, vocab, methods
 *   ...; await model.close(); cache.close();                 // the cache may serve several models
 */
export { openRequestCache, type RequestCache, type CacheEntry } from "./store.js";
export { withCache, isCacheableGenerate, CACHED_TOP_K_MAX, type CachedLanguageModel, type CacheStats } from "./with-cache.js";
export { requestKey, canonicalJson, type RequestKind } from "./canonical.js";
export { RequestCacheError, formatRequestCacheError, type RequestCacheErrorDetail, type RequestCacheErrorCode } from "./errors.js";
export { SQLITE_BUSY_TIMEOUT_MS, enableWal, sqliteCode, isSqliteDamage, integrityProblems } from "./sqlite.js";
