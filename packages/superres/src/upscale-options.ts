import type { AbortSignalLike, ProgressCallback, RgbImage } from '@kandinsky/core';

/** The largest output `upscale` accepts unless `maxOutputPixels` says otherwise: 8192² pixels. */
export const DEFAULT_MAX_OUTPUT_PIXELS = 8192 * 8192;

/** Options of {@link KandiSuperRes.upscale}. */
export interface UpscaleOptions {
  /** The low-resolution image (8-bit RGB; `@kandinsky/node`'s `readImage` flattens alpha and converts grayscale / 16-bit). */
  image: RgbImage;
  /**
   * Scale factor; must be one the model was trained for (`sr_unet/config.json` `scale`).
   * @default the model's scale
   */
  scale?: number;
  /**
   * DPM-Solver++ steps (spec §3.6).
   * @default 5
   */
  steps?: number;
  /**
   * Seed of the canvas noise, drawn once for the whole canvas like `torch.randn` (spec §4.8.2).
   * @default 0
   */
  seed?: number;
  /**
   * MultiDiffusion window in output pixels: a multiple of the model's size multiple (8).
   * @default the folder's `tile_window`, else 1024 (spec §4.8.1 step 5)
   */
  window?: number;
  /**
   * MultiDiffusion stride in output pixels, at most `window`.
   * @default the folder's `tile_stride`, else 800 (spec §4.8.1 step 5); with only `window` given,
   *   ⌊window · tile_stride / tile_window⌋ (the same overlap ratio)
   */
  stride?: number;
  /**
   * Views per UNet call. Any value gives the same image; larger batches trade memory for speed.
   * @default 1 on cpu / wasm backends; elsewhere chosen from the backend's `maxMemoryBytes` and the view size (see `defaultViewBatchSize`)
   */
  viewBatchSize?: number;
  /**
   * Run the KandiSuperRes Flash loop (spec §3.7, §4.8.3) instead of DPM-Solver++: its fixed
   * timesteps on the whole canvas at once, no tiling. Needs a folder that declares
   * `flash_timesteps`; takes no `steps`, `window`, `stride` or `viewBatchSize`. The low-res sides
   * are first resized (Pillow bicubic) down to multiples of 32, as the reference does.
   * @default false
   */
  flash?: boolean;
  /**
   * With `flash`: run the latent refiner (spec §4.8.3 step 3: MoVQ encode, one Flash-UNet pass at
   * t = 229 over 352-latent tiles, MoVQ decode). Needs a folder with `unet_flash`,
   * `movq_encoder`, `movq_decoder` and `refiner_context`.
   * @default true when the folder has the refiner's components, else false
   */
  refine?: boolean;
  /**
   * Largest output accepted, in pixels (width × height of the denoised canvas); larger jobs
   * throw INVALID_ARGUMENT before any model loads.
   * @default 8192 × 8192
   */
  maxOutputPixels?: number;
  /**
   * Cancels the call: it rejects with ABORTED within one view batch and releases the session.
   * @default undefined
   */
  signal?: AbortSignalLike;
  /**
   * Progress: `stage` events (`load-model`, `upscale`; with the Flash refiner also `encode-image`,
   * `refine` with one `tile` event per latent tile, and `decode`), one `tile` event per view per step
   * (`{ index, total, step, totalSteps, view }`) and one `step` event per step.
   * @default undefined
   */
  onProgress?: ProgressCallback;
}

/** What `upscale` used, for metadata and reproduction. */
export interface UpscaleParameters {
  /** True for the Flash loop; `window`/`stride` are then the canvas and `views` 1. */
  readonly flash: boolean;
  /** True when the Flash output went through the latent refiner (spec §4.8.3 step 3). */
  readonly refine: boolean;
  readonly scale: number;
  readonly steps: number;
  readonly seed: number;
  readonly window: number;
  readonly stride: number;
  readonly viewBatchSize: number;
  /** Views per step. */
  readonly views: number;
  /** Input size. */
  readonly inputWidth: number;
  readonly inputHeight: number;
}

/** The result of {@link KandiSuperRes.upscale}. */
export interface UpscaleResult {
  /** The upscaled image, exactly `scale ×` the input in both sides. */
  readonly image: RgbImage;
  readonly parameters: UpscaleParameters;
}
