import type { Device } from '@kandinsky/core';
import { checkCount, checkObject } from './argument-checks.js';

const FLOAT32_BYTES = 4;
const CHANNELS = 3;

/**
 * Runtime working memory assumed per view pixel per batch item when the model folder does not
 * state `activation_bytes_per_pixel`: 1 KiB, i.e. 1 GiB for a 1024² view. Only the default
 * view batch size depends on it.
 */
export const DEFAULT_ACTIVATION_BYTES_PER_PIXEL = 1024;

/**
 * How much more runtime working memory each batch item takes when B > 1 on onnxruntime's CPU
 * arena: the arena extends in regions that double in size and a chunk never spans two regions,
 * so the pages a batch touches grow towards twice what one item needs (measured 1037 B/px per
 * item at B = 10 against 543 B/px at B = 1 for the tiny model, docs/benchmarks.md).
 */
export const CPU_ARENA_GROWTH = 2;

/**
 * Devices whose default view batch is 1: on a CPU, batching views gives no speed-up (303 s at
 * B = 1 against 313 s at B = 10 on 2 cores, docs/benchmarks.md) and costs {@link CPU_ARENA_GROWTH}
 * times the working memory per item.
 */
export const UNBATCHED_DEVICES: readonly Device[] = Object.freeze(['cpu', 'wasm'] as const);

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
  /** Runtime working memory per view pixel per batch item, as measured at B = 1. @default 0 */
  readonly activationBytesPerPixel?: number;
  /**
   * The runtime is onnxruntime's CPU arena: for B > 1 its term is {@link CPU_ARENA_GROWTH} times
   * `activationBytesPerPixel` per view pixel per item.
   * @default false
   */
  readonly cpuArena?: boolean;
}

/** The terms of the peak-memory formula, in bytes (see the package README). */
export interface UpscaleMemoryEstimate {
  /** sample x, low-res upsampled, blend value (3 float32 planes each) and blend count (1 plane): 40 B per canvas pixel. */
  readonly canvas: number;
  /** DPM-Solver++(2M) history: one x0 per view plus one spare, 12 B per view pixel each. */
  readonly history: number;
  /** One view batch of inputs (sample, lowres) and output (x0): 36 B per view pixel per item. */
  readonly batch: number;
  /** The runtime's working memory for one view batch (`g·A` per view pixel per item, g = 2 on the CPU arena for B > 1, else 1). */
  readonly activations: number;
  /** Sum of the terms. */
  readonly total: number;
}

/**
 * Peak memory the pipeline itself holds for one upscale job (model weights and the runtime's
 * fixed overhead not included):
 *
 *   40·C + 12·v·(V + 1) + B·v·(36 + g·A)
 *
 * with C canvas pixels, v view pixels, V views, B views per batch, A the runtime's working
 * bytes per view pixel at B = 1 and g = {@link CPU_ARENA_GROWTH} for B > 1 on onnxruntime's CPU
 * arena (`cpuArena`), 1 otherwise. Nothing scales with V except the solver history, which DPM-Solver++(2M)
 * needs per view (spec §4.8.1 step 6).
 */
export function estimateUpscaleMemory(input: UpscaleMemoryInput): UpscaleMemoryEstimate {
  checkMemoryInput(input, true);
  const { canvasPixels, viewPixels, views, viewBatchSize } = input;
  const activationBytesPerPixel = input.activationBytesPerPixel ?? 0;
  const canvas = canvasPixels * (3 * CHANNELS + 1) * FLOAT32_BYTES;
  const history = (views + 1) * viewPixels * CHANNELS * FLOAT32_BYTES;
  const batch = viewBatchSize * viewPixels * 3 * CHANNELS * FLOAT32_BYTES;
  const growth = input.cpuArena === true && viewBatchSize > 1 ? CPU_ARENA_GROWTH : 1;
  const activations = viewBatchSize * viewPixels * activationBytesPerPixel * growth;
  return { canvas, history, batch, activations, total: canvas + history + batch + activations };
}

/**
 * The default number of views per UNet call: 1 on {@link UNBATCHED_DEVICES} (CPU, wasm) and when
 * the backend does not know its memory; otherwise as many as fit in {@link MEMORY_BUDGET_SHARE}
 * of `maxMemoryBytes` after the canvas and history terms, at least 1, at most the number of
 * views and {@link REFERENCE_VIEW_BATCH_SIZE}.
 */
export function defaultViewBatchSize(
  maxMemoryBytes: number | undefined,
  input: Omit<UpscaleMemoryInput, 'viewBatchSize'>,
  device?: Device,
): number {
  if (maxMemoryBytes !== undefined) checkCount('maxMemoryBytes', maxMemoryBytes, 0, 'Pass backend.capabilities.maxMemoryBytes (undefined when unknown).', false);
  checkMemoryInput(input, false);
  const ceiling = Math.max(1, Math.min(input.views, REFERENCE_VIEW_BATCH_SIZE));
  if (device !== undefined && UNBATCHED_DEVICES.includes(device)) return 1;
  if (maxMemoryBytes === undefined || !(maxMemoryBytes > 0)) return 1;
  const fixed = estimateUpscaleMemory({ ...input, viewBatchSize: 0 }).total;
  const perItem =
    estimateUpscaleMemory({ ...input, viewBatchSize: 1 }).total - fixed;
  const fitting = Math.floor((maxMemoryBytes * MEMORY_BUDGET_SHARE - fixed) / perItem);
  return Math.max(1, Math.min(ceiling, fitting));
}

function checkMemoryInput(input: unknown, withBatch: boolean): void {
  const hint = 'Pass { canvasPixels, viewPixels, views' + (withBatch ? ', viewBatchSize' : '') + ' } of the planned upscale.';
  checkObject('input', input, 'an UpscaleMemoryInput object', hint);
  // Non-negative, not positive: viewBatchSize 0 gives the fixed part of the estimate.
  checkCount('canvasPixels', input.canvasPixels, 0, hint);
  checkCount('viewPixels', input.viewPixels, 0, hint);
  checkCount('views', input.views, 0, hint);
  if (withBatch) checkCount('viewBatchSize', input.viewBatchSize, 0, hint);
  if (input.activationBytesPerPixel !== undefined) checkCount('activationBytesPerPixel', input.activationBytesPerPixel, 0, hint, false);
}
