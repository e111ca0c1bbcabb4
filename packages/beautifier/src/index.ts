/**
 * @kandinsky/beautifier — prompt beautification for Kandinsky 3.1 (spec §2.11, §4.9): the
 * published template, a local ONNX causal LM with a KV cache on any core Backend, and an adapter
 * for OpenAI-compatible servers. Depends on `@kandinsky/core` only.
 */
export {
  DEFAULT_SYSTEM_PROMPT,
  INTEL_TEMPLATE,
  KANDINSKY_TEMPLATE,
  fillTemplate,
  type BeautifierRequestText,
  type ChatMessage,
  type PromptTemplate,
} from './prompt-template.js';
export type { FinishReason, LanguageModel, LanguageModelRequest, LanguageModelResponse } from './language-model.js';
export type { SamplingOptions } from './sampling.js';
export { parseCausalLMConfig, type CausalLMConfig } from './causal-lm-config.js';
export { CausalLMTokenizer } from './causal-lm-tokenizer.js';
export {
  OnnxCausalLM,
  type CausalLMGenerateOptions,
  type CausalLMGeneration,
  type LoadOnnxCausalLMOptions,
} from './onnx-causal-lm.js';
export { cleanAnswer, fitToTokenLimit, type FittedPrompt } from './post-process.js';
export {
  Beautifier,
  DEFAULT_STOP_STRINGS,
  type BeautifierCallOptions,
  type BeautifierOptions,
  type BeautifierResult,
} from './beautifier.js';
export { OpenAICompatibleLLM, type OpenAICompatibleLLMOptions } from './openai-compatible-llm.js';
export { ServerSentEventParser } from './server-sent-events.js';
