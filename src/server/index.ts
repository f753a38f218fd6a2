/** `ftledger serve`: any backend as an OpenAI-compatible HTTP API. */
export { createOpenAIApp, type ServeOptions } from "./openai-app.js";
export { startServer, type RunningServer } from "./serve.js";
/** `ftledger view`: a local web app over a run store (runs, ledgers, comparisons, trajectories). */
export { viewApp, checkViewStore, type ViewStoreCheck } from "./view-app.js";
export { startViewServer, type RunningViewServer } from "./view.js";
