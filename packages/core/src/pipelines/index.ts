export {
  cutLength,
  MAX_PROMPT_TOKENS,
  originalNegativeTokens,
  T5_EOS_ID,
  T5_PAD_ID,
  tokenizePrompt,
  type PromptTokens,
  type TextTokenizer,
} from './prompt-tokens.js';
export {
  encodePrompt,
  type EncodedPrompt,
  type EncodePromptOptions,
  type PromptContexts,
  type PromptEncoderModels,
} from './prompt-encoder.js';
export { ComponentSessions } from './component-sessions.js';
export { Kandinsky3Pipeline, PIXEL_MULTIPLE, type Kandinsky3PipelineOptions } from './kandinsky3-pipeline.js';
export type {
  BaseGenerationOptions,
  FlashOptions,
  GenerationParameters,
  GenerationResult,
  ImageToImageOptions,
  TextToImageOptions,
} from './generation-types.js';
