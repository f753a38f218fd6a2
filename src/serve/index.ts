/** `ftledger serve`: any backend as an OpenAI-compatible HTTP API. */
export { createOpenAIApp, type ServeOptions } from "./openai-app.js";
export { startServer, type RunningServer } from "./serve.js";
export { DEFAULT_LIMITS, type ServeLimits } from "./limits.js";
export { hostGuard, hostnameOf, urlHostOf } from "./guard.js";
