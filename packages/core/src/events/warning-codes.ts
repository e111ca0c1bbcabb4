/**
 * Stable codes of `warning` progress events: things that did not stop the call but that the app
 * may want to show or log. Like error codes, a code never changes meaning once released.
 */
export const WarningCodes = {
  /** The prompt had more tokens than the text encoder accepts and was cut (spec §2.1: 128). */
  PROMPT_TRUNCATED: 'PROMPT_TRUNCATED',
  /** The requested device or execution provider was unavailable and another one is used. */
  DEVICE_FALLBACK: 'DEVICE_FALLBACK',
  /** A model output held NaN or ±Infinity and was repaired (spec §2.2: fp16 T5 overflow). */
  NON_FINITE_VALUES: 'NON_FINITE_VALUES',
  /** The persistent model cache could not be used; files are downloaded again. */
  CACHE_UNAVAILABLE: 'CACHE_UNAVAILABLE',
  /** An option was accepted but has no effect in this mode (e.g. guidance scale with Flash). */
  OPTION_IGNORED: 'OPTION_IGNORED',
  /**
   * The sampler's grid cannot hold the requested step count and runs fewer (the original sampler's
   * stride ⌈1000/N⌉: 1000 → 999, 300 → 250); the message and `parameters.steps` give the count run.
   */
  STEPS_ADJUSTED: 'STEPS_ADJUSTED',
  /** Prompt beautification failed (LLM error, timeout, nothing usable); the user's prompt is drawn (spec §4.9). */
  BEAUTIFY_FALLBACK: 'BEAUTIFY_FALLBACK',
} as const;

/** One of {@link WarningCodes}. */
export type WarningCode = (typeof WarningCodes)[keyof typeof WarningCodes];
