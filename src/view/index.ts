/** `ftledger view`: a local web app over a run store (runs, ledgers, comparisons, trajectories). */
export { viewApp, checkViewStore, type ViewStoreCheck } from "./app.js";
export { startViewServer, type RunningViewServer } from "./server.js";
