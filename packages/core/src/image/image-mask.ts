import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { assertImageSize } from './rgb-image.js';

/**
 * A single-channel float image, row-major, one value per pixel in [0, 1]. Used for inpainting
 * masks, where the user-facing convention is 1 = repaint, 0 = keep (spec §4.5); resizing can
 * leave fractional values at edges.
 */
export interface ImageMask {
  readonly width: number;
  readonly height: number;
  /** `width · height` values in [0, 1]: pixel (x, y) is at `y · width + x`. */
  readonly data: Float32Array;
}

/**
 * Creates an {@link ImageMask}. Without `data` the mask is all zeros (keep everything); with
 * `data` the buffer is used as is (not copied).
 *
 * @throws KandinskyError INVALID_IMAGE when the size is not two positive integers, `data` is
 *   not a `Float32Array` of `width · height` values, or a value is outside [0, 1] or not finite
 *   (values are never clamped silently).
 */
export function createImageMask(width: number, height: number, data?: Float32Array): ImageMask {
  assertImageSize('mask', width, height);
  const expected = width * height;
  if (data === undefined) return { width, height, data: new Float32Array(expected) };
  if (!(data instanceof Float32Array)) {
    throw kandinskyError(
      'INVALID_IMAGE',
      `The mask data must be a Float32Array, got ${(data as object | null)?.constructor?.name ?? typeof data}.`,
      'Pass one float per pixel in a Float32Array (1 = repaint, 0 = keep).',
    );
  }
  if (data.length !== expected) {
    throw kandinskyError(
      'INVALID_IMAGE',
      `The mask data has ${data.length} values but a ${width}×${height} mask needs ${expected} (width · height).`,
      'Give one value per pixel, or fix the width and height.',
      { width, height, length: data.length, expected },
    );
  }
  for (let i = 0; i < expected; i++) {
    const value = data[i]!;
    // Written as a negated range test so NaN fails too.
    if (!(value >= 0 && value <= 1)) {
      throw kandinskyError(
        'INVALID_IMAGE',
        `Mask value ${describeValue(value)} at pixel (${i % width}, ${Math.floor(i / width)}) is outside [0, 1].`,
        'Use 1 for pixels to repaint and 0 for pixels to keep (fractions are allowed).',
        { index: i, value },
      );
    }
  }
  return { width, height, data };
}
