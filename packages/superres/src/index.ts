/**
 * @kandinsky/superres — KandiSuperRes ×4 / ×2 diffusion super-resolution with MultiDiffusion
 * tiling (spec §2.10, §4.8), on any Kandinsky TS backend. Depends on `@kandinsky/core` only.
 */
export { KandiSuperRes, REFINER_COMPONENTS, type KandiSuperResOptions } from './kandisuperres.js';
export {
  MOVQ_DECODE_OVERLAP,
  MOVQ_ENCODE_OVERLAP,
  MOVQ_TILE_PIXELS,
  REFINER_OVERLAP,
  REFINER_TILE,
  REFINER_TIMESTEP,
} from './flash-refiner.js';
export { REFINER_CONTEXT_ROLE } from './refiner-context.js';
export {
  DEFAULT_MAX_OUTPUT_PIXELS,
  type UpscaleOptions,
  type UpscaleParameters,
  type UpscaleResult,
} from './upscale-options.js';
export {
  CPU_ARENA_GROWTH,
  DEFAULT_ACTIVATION_BYTES_PER_PIXEL,
  defaultViewBatchSize,
  estimateUpscaleMemory,
  MEMORY_BUDGET_SHARE,
  REFERENCE_VIEW_BATCH_SIZE,
  UNBATCHED_DEVICES,
  type UpscaleMemoryEstimate,
  type UpscaleMemoryInput,
} from './memory-plan.js';
export { upscaleGeometry, type UpscaleGeometry } from './output-geometry.js';
export {
  DEFAULT_TILE_STRIDE,
  DEFAULT_TILE_WINDOW,
  readSuperResolutionConfig,
  SUPER_RESOLUTION_CLASS_NAME,
  type SuperResolutionModelConfig,
} from './sr-model-config.js';
