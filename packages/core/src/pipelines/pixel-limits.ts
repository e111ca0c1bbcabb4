import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';

/**
 * Default most pixels of one generated image: 1024², the size the 3.1 models are trained at
 * (spec §2.4; 1152×896, 1280×768 and the other ~1 MP shapes fit). The UNet's self-attention grows
 * with the square of the pixel count: measured with the tiny model on the CPU, one step at 1024²
 * peaks at 3.2 GB RSS and one at 2048² passed 21 GB and was killed (99968×64 grew past 18 GB), so
 * larger calls are refused before anything is allocated. Raise it with `maxPixels` when the machine
 * has the memory.
 */
export const DEFAULT_MAX_PIXELS = 1024 * 1024;

/** Default most pixels of one call, all images together (`count` × width × height): 16 images of 1024². */
export const DEFAULT_MAX_JOB_PIXELS = 16 * 1024 * 1024;

/** Pixel limits of a call; both are checked before the first model runs or a tensor is allocated. */
export interface PixelLimits {
  /**
   * Most pixels (width × height) of one image.
   * @default DEFAULT_MAX_PIXELS (1024 × 1024 = 1,048,576)
   */
  maxPixels?: number;
  /**
   * Most pixels of the whole call: the number of images × width × height.
   * @default DEFAULT_MAX_JOB_PIXELS (16 × 1024 × 1024 = 16,777,216)
   */
  maxJobPixels?: number;
}

function limit(name: 'maxPixels' | 'maxJobPixels', value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalidArgument(name, value, 'a positive integer number of pixels', `Leave it out for the default ${fallback}, or raise it, e.g. ${fallback * 4}.`);
  }
  return value;
}

/**
 * Refuses a job larger than its limits with IMAGE_TOO_LARGE, before any allocation. The error's
 * details carry the float32 bytes of one latent-sized and one image-sized tensor per image, the
 * smallest part of what the job needs (the UNet's activations are many times more).
 */
export function checkPixelLimits(width: number, height: number, count: number, limits: PixelLimits = {}): void {
  if (limits === null || typeof limits !== 'object') {
    throw invalidArgument('limits', limits, 'an object such as { maxPixels }', 'Leave it out for the defaults.');
  }
  for (const [name, value] of [['width', width], ['height', height], ['count', count]] as const) {
    if (!Number.isInteger(value) || value < 1) throw invalidArgument(name, value, 'an integer ≥ 1', 'Pass the requested image size and count.');
  }
  const maxPixels = limit('maxPixels', limits.maxPixels, DEFAULT_MAX_PIXELS);
  const maxJobPixels = limit('maxJobPixels', limits.maxJobPixels, DEFAULT_MAX_JOB_PIXELS);
  const pixels = width * height;
  const jobPixels = pixels * count;
  // float32 RGB image + 4-channel latent at 1/8 per side, per image: a lower bound of the job's memory.
  const tensorBytes = jobPixels * 4 * 3 + (jobPixels / 64) * 4 * 4;
  const details = { width, height, count, pixels, jobPixels, maxPixels, maxJobPixels, tensorBytes };
  if (pixels > maxPixels) {
    throw kandinskyError(
      'IMAGE_TOO_LARGE',
      `${width}x${height} is ${pixels} pixels, more than maxPixels ${maxPixels} per image; refused before allocating anything (its image tensors alone take ${mb(tensorBytes)}; the UNet's attention grows with the square of the pixels, e.g. 3.2 GB for the tiny model at 1024², over 21 GB at 2048²).`,
      `Ask for at most ${maxPixels} pixels (1024x1024, 1152x896, 1280x768: the models' native sizes), or raise maxPixels if the machine has the memory.`,
      details,
    );
  }
  if (jobPixels > maxJobPixels) {
    throw kandinskyError(
      'IMAGE_TOO_LARGE',
      `${count} images of ${width}x${height} are ${jobPixels} pixels, more than maxJobPixels ${maxJobPixels}; refused before allocating anything (their image tensors alone take ${mb(tensorBytes)}).`,
      `Ask for fewer images per call (e.g. ${Math.max(1, Math.floor(maxJobPixels / pixels))}), or raise maxJobPixels.`,
      details,
    );
  }
}

function mb(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
