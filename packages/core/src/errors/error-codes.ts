/**
 * Stable error codes. A code never changes meaning once released; new failures get new codes.
 * Apps may switch on `error.code` safely.
 */
export const ErrorCodes = {
  /** An option or argument has a value outside what is accepted. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A diffusers `scheduler_config.json` object has an unknown or invalid value. */
  INVALID_SCHEDULER_CONFIG: 'INVALID_SCHEDULER_CONFIG',
  /** A step count is not an integer ≥ 1, or exceeds the training timesteps. */
  INVALID_STEPS: 'INVALID_STEPS',
  /** An img2img / inpainting strength outside [0, 1]. */
  INVALID_STRENGTH: 'INVALID_STRENGTH',
  /** A MultiDiffusion window/stride that cannot tile the canvas. */
  INVALID_TILE_LAYOUT: 'INVALID_TILE_LAYOUT',
  /** Two tensors (or a tensor and its declared dims) disagree in shape. */
  SHAPE_MISMATCH: 'SHAPE_MISMATCH',
  /** A tensor has a dtype the operation does not accept. */
  DTYPE_MISMATCH: 'DTYPE_MISMATCH',
  /** Image embeddings or their mixing weights are invalid (count, non-finite, all zero). */
  INVALID_EMBEDDING_WEIGHTS: 'INVALID_EMBEDDING_WEIGHTS',
  /** An RGB image whose buffer does not match width × height × 3, or a bad size. */
  INVALID_IMAGE: 'INVALID_IMAGE',
  /** A scheduler was used in the wrong order (step before set_timesteps, step past the end). */
  SCHEDULER_STATE: 'SCHEDULER_STATE',
  /** A model session's inputs/outputs do not match the component contract. */
  MODEL_CONTRACT_MISMATCH: 'MODEL_CONTRACT_MISMATCH',
  /** A model file or folder is missing. */
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  /** A model folder's manifest is invalid (unknown convention, path escaping the folder, ...). */
  INVALID_MODEL_MANIFEST: 'INVALID_MODEL_MANIFEST',
  /** The requested device / execution provider is not available. */
  DEVICE_UNAVAILABLE: 'DEVICE_UNAVAILABLE',
  /** A session was used after `dispose()`. */
  SESSION_DISPOSED: 'SESSION_DISPOSED',
  /** The runtime threw something we did not anticipate; `cause` holds the original. */
  RUNTIME_ERROR: 'RUNTIME_ERROR',
  /** The operation was aborted through its AbortSignal. */
  ABORTED: 'ABORTED',
  /**
   * A requested or input image is larger than the pixel limit (`maxPixels`, `maxJobPixels`, or
   * `readImage`'s `maxPixels`); refused before anything is allocated. Raise the limit to allow it.
   */
  IMAGE_TOO_LARGE: 'IMAGE_TOO_LARGE',
  /**
   * Denoising produced NaN or ±Infinity latents (e.g. a guidance weight of 1e308), which would
   * decode to a black image; nothing is written.
   */
  NON_FINITE_OUTPUT: 'NON_FINITE_OUTPUT',
  /** An operation took longer than its `timeout` (e.g. a request to an LLM server). */
  TIMEOUT: 'TIMEOUT',
  /** An LLM server could not be reached, or closed the connection before the answer ended. */
  LLM_CONNECTION_FAILED: 'LLM_CONNECTION_FAILED',
  /** An LLM server answered with an HTTP error status; `details.status` and the server's message say which. */
  LLM_HTTP_ERROR: 'LLM_HTTP_ERROR',
  /** An LLM server answered 2xx with something that is not the OpenAI protocol (HTML, malformed JSON). */
  LLM_INVALID_RESPONSE: 'LLM_INVALID_RESPONSE',
  /**
   * The browser's storage quota has no room for a model file in the persistent cache
   * (`QuotaExceededError` from Cache Storage); `details.url` and `details.bytes` say which file.
   */
  CACHE_QUOTA_EXCEEDED: 'CACHE_QUOTA_EXCEEDED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
