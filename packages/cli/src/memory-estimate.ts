import { KandinskyError, checkPixelLimits, kandinskyError, type PixelLimits } from '@kandinsky/core';

/** Peak RSS of a process that has loaded the tiny model and run nothing else: 150 MiB (measured). */
const BASE_BYTES = 150 * 2 ** 20;
/**
 * Peak RSS added by one image of 1024² pixels: 3020 MiB. The UNet's self-attention dominates and
 * grows with the square of the pixels, so an image of `pixels` adds `3020 MiB × (pixels / 1024²)²`.
 * Measured (tiny model, 1 step, CPU, `/usr/bin/time` peak RSS, 2026-12): 128² 149 MiB, 256²
 * 172 MiB, 512² 352 MiB, 768² 1124 MiB, 1024² 3169 MiB, 2 × 512² 552 MiB; the formula gives
 * 150, 151, 339, 1105, 3170 and 528.
 */
const PER_MEGAPIXEL_SQUARED_BYTES = 3020 * 2 ** 20;

/**
 * Estimated peak memory of a job of `count` images of `width`×`height`:
 * `150 MiB + count × 3020 MiB × (width × height / 1024²)²`. Calibrated with the tiny model on the
 * CPU; real Kandinsky 3.1 weights need at least their files' size more, and wider activations.
 */
export function estimateJobMemoryBytes(width: number, height: number, count: number): number {
  const megapixels = (width * height) / (1024 * 1024);
  return BASE_BYTES + count * PER_MEGAPIXEL_SQUARED_BYTES * megapixels * megapixels;
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/**
 * core's `checkPixelLimits`, its IMAGE_TOO_LARGE message extended with the estimated memory of the
 * job ({@link estimateJobMemoryBytes}), so that whoever raises `--max-pixels` knows what it costs.
 */
export function checkPixelLimitsWithEstimate(width: number, height: number, count: number, limits: PixelLimits): void {
  try {
    checkPixelLimits(width, height, count, limits);
  } catch (error) {
    if (!KandinskyError.isInstance(error) || error.code !== 'IMAGE_TOO_LARGE') throw error;
    const estimatedBytes = estimateJobMemoryBytes(width, height, count);
    throw kandinskyError(
      'IMAGE_TOO_LARGE',
      `${error.message} The job would need about ${formatBytes(estimatedBytes)} (estimate: 150 MiB + count × 3020 MiB × (pixels / 1024²)², measured with the tiny model on the CPU; real weights need more).`,
      error.hint,
      { ...error.details, estimatedBytes },
      error,
    );
  }
}
