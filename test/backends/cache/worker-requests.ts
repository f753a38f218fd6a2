/** The requests processes.test.ts and its workers agree on. */
import type { ScoreRequest } from "../../../src/backends/language-model.js";

export const SHARED_MODEL_ID = "fake:shared-by-processes";
export const sharedRequest = (i: number): ScoreRequest => ({ prompt: `shared ${i}:`, continuation: ` answer ${i}` });
export const privateRequest = (worker: number, i: number): ScoreRequest => ({ prompt: `worker ${worker} item ${i}:`, continuation: " ok" });
