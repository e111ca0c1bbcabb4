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
export { Kandinsky3 } from './kandinsky3.js';
export { Kandinsky3Components, type Kandinsky3ComponentsOptions } from './kandinsky3-components.js';
export { TextToImagePipeline } from './text-to-image-pipeline.js';
export { ImageToImagePipeline } from './image-to-image-pipeline.js';
export { FlashPipeline } from './flash-pipeline.js';
export { denoise, guidedStep, type DenoiseOptions, type DenoiseStep, type Guidance } from './denoise.js';
export { UnetFeeds, type UnetConditioning } from './unet-feeds.js';
export { PIXEL_MULTIPLE } from './generation-options.js';
export type {
  BaseGenerationOptions,
  FlashOptions,
  GenerationParameters,
  GenerationResult,
  ImageToImageOptions,
  TextToImageOptions,
} from './generation-types.js';
