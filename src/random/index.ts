/**
 * Seeded randomness and stable hashes: the ground every other module stands on. Every
 * random choice in ftledger flows from a `createRng(seed)`, and every derived seed from a
 * hash of what it is for, so the same inputs give the same numbers.
 */
export { createRng, type Rng } from "./rng.js";
export { intIn, pick, shuffled } from "./draw.js";
export { fnv1a, hash32, sha256Of, sha256Text } from "./hash.js";
