/**
 * LoRA adapters as PEFT folders (adapter_config.json + adapter_model.safetensors): writer,
 * strict reader, and the tensor names both use.
 */
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, baseWeightName, peftTensorName, moduleShape, factorShapes } from "./layout.js";
export { type PeftConfig, readPeftConfig } from "./config.js";
export { type WritePeftOptions, writePeftAdapter, peftTensors } from "./write.js";
export { readPeftAdapter, readPeftAdapterConfig } from "./read.js";
export { findAdapterBase, resolveAdapterDir, RUN_ADAPTER_DIR } from "./base.js";
