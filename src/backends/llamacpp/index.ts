/**
 * llamacpp backend: GGUF files through llama.cpp (node-llama-cpp), validated in a child
 * process first (some malformed files abort the whole process inside llama.cpp).
 */
export { openGgufModel, type GgufModelOptions } from "./model.js";
export { checkGguf, checkMetadata, formatGgufCheckError, GgufLoadError, type GgufCheck, type GgufCheckError } from "./check.js";
export { ggufFileId } from "./file-id.js";
export { sharedGgufStats } from "./shared-model.js";
export { GGUF_GPUS, DEFAULT_GGUF_GPU, parseGgufGpu, startLlama, GgufGpuError, gpuUnavailableMessage, gpuPackage, describeLlamaDevice, type GgufGpu, type GetLlama } from "./gpu.js";
