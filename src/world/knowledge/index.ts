/** The knowledge world: a seeded encyclopedia and closed-book questions about it. */
export { knowledgeTask, knowledgePrompt, verifyKnowledge, type KnowledgeItem, type KnowledgeMeta } from "./task.js";
export { KNOWLEDGE_DEFAULTS, knowledgeConfigSchema, parseKnowledgeConfig, type KnowledgeConfig } from "./config.js";
export { ATTRIBUTES, buildWorld, type Attribute, type Entity, type World } from "./world.js";
export { HELD_OUT_QUESTIONS, SENTENCES, STANDARD_QUESTIONS, fill } from "./templates.js";
