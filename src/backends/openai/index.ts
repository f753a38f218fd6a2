/**
 * The openai backend: any OpenAI-compatible server (vLLM, SGLang, llama.cpp server,
 * Ollama, `ftledger serve`) as a LanguageModel.
 *
 *   spec        options, and the CLI spec openai:URL[,URL…]#MODEL
 *   model       createOpenAIModel: generate (completions / chat), score (echo or vLLM prompt_logprobs)
 *   score       the prompt-logprob parsers and the boundary split
 *   transport   one attempt: bounded concurrency, timeouts, what a failure means
 *   failover    retries across replicas, backoff + jitter; pool: endpoint health (benched, held)
 *   errors      OpenAIError (data), formatOpenAIError, BackendError
 */
export { type OpenAISpec, type OpenAIConnection, type OpenAIModelOptions, type PromptLogprobsMode, type TransportTuning, type SpecResult, parseOpenAISpec } from "./spec.js";
export { createOpenAIModel } from "./model.js";
export { type OpenAIError, type OpenAIErrorCode, formatOpenAIError, BackendError } from "./errors.js";
