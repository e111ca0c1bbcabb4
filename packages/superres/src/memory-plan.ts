const FLOAT32_BYTES = 4;
const CHANNELS = 3;

/**
 * Runtime working memory assumed per view pixel per batch item when the model folder does not
 * state `activation_bytes_per_pixel`: 1 KiB, i.e. 1 GiB for a 1024² view. Only the default
 * view batch size depends on it.
 */
export const DEFAULT_ACTIVATION_BYTES_PER_PIXEL = 1024;

/** The largest view batch picked by default: the reference code's `view_batch_size` (spec §4.8.1). */
export const REFERENCE_VIEW_BATCH_SIZE = 15;

/**
 * Share of `maxMemoryBytes` the default view batch may plan to use; the rest is left for the
 * model weights, the runtime and the rest of the process.
 */
export const MEMORY_BUDGET_SHARE = 0.5;

/** Inputs of {@link estimateUpscaleMemory}: all sizes in pixels. */
export interface UpscaleMemoryInput {
  /** Denoised canvas (`canvasWidth × canvasHeight` of the geometry). */
  readonly canvasPixels: number;
  /** One view (`window²`, or the whole canvas when it is smaller). */
  readonly viewPixels: number;
  /** Number of views per step. */
  readonly views: number;
  /** Views per UNet call. */
  readonly viewBatchSize: number;
  /** Runtime working memory per view pixel per batch item. @default 0 */
  readonly activationBytesPerPixel?: number;
}

/** The terms of the peak-memory formula, in bytes (see the package README). */
export interface UpscaleMemoryEstimate {
  /** sample x, low-res upsampled, blend value (3 float32 planes each) and blend count (1 plane): 40 B per canvas pixel. */
  readonly canvas: number;
  /** DPM-Solver++(2M) history: one x0 per view plus one spare, 12 B per view pixel each. */
  readonly history: number;
  /** One view batch of inputs (sample, lowres) and output (x0): 36 B per view pixel per item. */
  readonly batch: number;
  /** The runtime's working memory for one view batch (`activationBytesPerPixel` per view pixel per item). */
  readonly activations: number;
  /** Sum of the terms. */
  readonly total: number;
}

/**
 * Peak memory the pipeline itself holds for one upscale job (model weights and the runtime's
 * fixed overhead not included):
 *
 *   40·C + 12·v·(V + 1) + B·v·(36 + A)
 *
 * with C canvas pixels, v view pixels, V views, B views per batch and A the runtime's working
 * bytes per view pixel. Nothing scales with V except the solver history, which DPM-Solver++(2M)
 * needs per view (spec §4.8.1 step 6).
 */
export function estimateUpscaleMemory(input: UpscaleMemoryInput): UpscaleMemoryEstimate {
  const { canvasPixels, viewPixels, views, viewBatchSize } = input;
  const activationBytesPerPixel = input.activationBytesPerPixel ?? 0;
  const canvas = canvasPixels * (3 * CHANNELS + 1) * FLOAT32_BYTES;
  const history = (views + 1) * viewPixels * CHANNELS * FLOAT32_BYTES;
  const batch = viewBatchSize * viewPixels * 3 * CHANNELS * FLOAT32_BYTES;
  const activations = viewBatchSize * viewPixels * activationBytesPerPixel;
  return { canvas, history, batch, activations, total: canvas + history + batch + activations };
}

/**
 * The default number of views per UNet call: as many as fit in {@link MEMORY_BUDGET_SHARE} of
 * `maxMemoryBytes` after the canvas and history terms, at least 1, at most the number of views
 * and {@link REFERENCE_VIEW_BATCH_SIZE}. 1 when the backend does not know its memory.
 */
export function defaultViewBatchSize(
  maxMemoryBytes: number | undefined,
  input: Omit<UpscaleMemoryInput, 'viewBatchSize'>,
): number {
  const ceiling = Math.max(1, Math.min(input.views, REFERENCE_VIEW_BATCH_SIZE));
  if (maxMemoryBytes === undefined || !(maxMemoryBytes > 0)) return 1;
  const fixed = estimateUpscaleMemory({ ...input, viewBatchSize: 0 }).total;
  const perItem =
    estimateUpscaleMemory({ ...input, viewBatchSize: 1 }).total - fixed;
  const fitting = Math.floor((maxMemoryBytes * MEMORY_BUDGET_SHARE - fixed) / perItem);
  return Math.max(1, Math.min(ceiling, fitting));
}
