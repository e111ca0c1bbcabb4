import { describeValue, kandinskyError, type ModelFolder } from '@kandinsky/core';
import { checkFolder } from './argument-checks.js';

/** The class name a KandiSuperRes folder declares in `model_index.json` (docs/model-format.md §3.8). */
export const SUPER_RESOLUTION_CLASS_NAME = 'KandiSuperResPipeline';

/** MultiDiffusion window and stride of the released KandiSuperRes code, in pixels (spec §4.8.1 step 5). */
export const DEFAULT_TILE_WINDOW = 1024;
/** spec §4.8.1 step 5. */
export const DEFAULT_TILE_STRIDE = 800;

/** What the pipeline needs from `sr_unet/config.json`. */
export interface SuperResolutionModelConfig {
  /** The scale factors the weights were trained for (`scale`, or `scales` when a folder lists several). */
  readonly scales: readonly number[];
  /** Sides of every UNet input must be multiples of this (the UNet downsamples 3×). */
  readonly sizeMultiple: number;
  /** Default MultiDiffusion window (pixels). */
  readonly tileWindow: number;
  /** Default MultiDiffusion stride (pixels). */
  readonly tileStride: number;
  /**
   * Runtime working memory per view pixel per batch item, for sizing view batches; a folder may
   * state it as `activation_bytes_per_pixel`.
   */
  readonly activationBytesPerPixel: number | undefined;
  /**
   * Timesteps of the Flash SR loop (spec §3.7) when the weights run it (`flash_timesteps`, e.g.
   * [979, 729, 479, 229]); undefined: no Flash path.
   */
  readonly flashTimesteps: readonly number[] | undefined;
}

function positiveInteger(config: Record<string, unknown>, key: string, fallback: number | undefined): number | undefined {
  const value = config[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `sr_unet/config.json: ${key} must be a positive integer, got ${describeValue(value)}.`,
      'Re-export the model folder (docs/model-format.md §3.8).',
      { [key]: value },
    );
  }
  return value;
}

/**
 * Checks that `folder` is a KandiSuperRes folder and reads its `sr_unet` configuration.
 * Throws INVALID_MODEL_MANIFEST for any other folder (a Kandinsky 3 folder, a broken config).
 */
export async function readSuperResolutionConfig(folder: ModelFolder): Promise<SuperResolutionModelConfig> {
  checkFolder(folder);
  const { className } = folder.index;
  if (className !== SUPER_RESOLUTION_CLASS_NAME || !folder.has('sr_unet')) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `The model folder ${folder.files.location} is a ${describeValue(className)}, not a ${SUPER_RESOLUTION_CLASS_NAME} with an sr_unet component.`,
      'Point the super-resolution pipeline at a KandiSuperRes folder, e.g. models/tiny/kandisuperres-x4.',
      { className, components: Object.keys(folder.index.components) },
    );
  }
  const config = (await folder.config('sr_unet')) as Record<string, unknown>;
  const scaleList = config.scales;
  let scales: number[];
  if (Array.isArray(scaleList) && scaleList.length > 0) {
    scales = scaleList.map((_, index) => positiveInteger({ scale: scaleList[index] }, 'scale', undefined)!);
  } else {
    scales = [positiveInteger(config, 'scale', 4)!];
  }
  const sizeMultiple = positiveInteger(config, 'size_multiple', 8)!;
  const tileWindow = positiveInteger(config, 'tile_window', DEFAULT_TILE_WINDOW)!;
  const tileStride = positiveInteger(config, 'tile_stride', DEFAULT_TILE_STRIDE)!;
  const activationBytesPerPixel = positiveInteger(config, 'activation_bytes_per_pixel', undefined);
  const flashList = config.flash_timesteps;
  let flashTimesteps: number[] | undefined;
  if (flashList !== undefined) {
    const valid =
      Array.isArray(flashList) &&
      flashList.length > 0 &&
      flashList.every((t, i) => Number.isInteger(t) && t >= 0 && t < 1000 && (i === 0 || t < flashList[i - 1]));
    if (!valid) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `sr_unet/config.json: flash_timesteps must be descending integers in [0, 999], got ${describeValue(flashList)}.`,
        'Re-export the model folder (spec §3.7: [979, 729, 479, 229]).',
        { flash_timesteps: flashList },
      );
    }
    flashTimesteps = flashList as number[];
  }
  return { scales, sizeMultiple, tileWindow, tileStride, activationBytesPerPixel, flashTimesteps };
}
