/**
 * Batching: concurrent callers' batches merged into the backend's calls (withBatching), and
 * the engine's continuous batching that makes large merged calls pay (decodeContinuous).
 */
export { withBatching, CallQueue, type BatchingOptions, type BatchingStats, type BatchedLanguageModel } from "./with-batching.js";
export { decodeContinuous, DECODE_SLOTS, MIN_ROWS, type DecodeRow } from "./continuous.js";
