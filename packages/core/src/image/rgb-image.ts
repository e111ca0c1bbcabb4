import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';

/**
 * An 8-bit RGB image: `width × height` pixels, row-major, 3 bytes per pixel (R, G, B), no alpha.
 * This is the format the SDK takes images in and hands them back in; `@kandinsky/node` and
 * `@kandinsky/web` convert to and from files, `ImageData` and canvases.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** `width · height · 3` bytes: pixel (x, y) channel c is at `(y · width + x) · 3 + c`. */
  readonly data: Uint8Array;
}

/** Bytes per pixel of an {@link RgbImage}. */
export const RGB_CHANNELS = 3;

/**
 * Throws INVALID_IMAGE unless `width` and `height` are positive integers. `what` names the image
 * in the message ("image", "mask", ...).
 */
export function assertImageSize(what: string, width: number, height: number): void {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw kandinskyError(
        'INVALID_IMAGE',
        `The ${what} ${name} ${describeValue(value)} is not a positive integer (size ${describeValue(width)}×${describeValue(height)}).`,
        `Give the ${what} a width and height that are whole numbers of at least 1.`,
        { width, height },
      );
    }
  }
}

/**
 * Creates an {@link RgbImage}. Without `data` the image is black; with `data` the buffer is used
 * as is (not copied) and must hold exactly `width · height · 3` bytes.
 *
 * @throws KandinskyError INVALID_IMAGE when the size is not two positive integers, when `data`
 *   is not a `Uint8Array` (a `Uint8ClampedArray` from `ImageData` must be converted, and RGBA
 *   must be stripped of alpha first), or when its length does not match the size.
 */
export function createRgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  assertImageSize('image', width, height);
  const expected = width * height * RGB_CHANNELS;
  if (data === undefined) return { width, height, data: new Uint8Array(expected) };
  assertRgbBuffer(width, height, data);
  return { width, height, data };
}

/**
 * Throws INVALID_IMAGE unless `image` is a well-formed {@link RgbImage} (positive integer size,
 * a `Uint8Array` of `width · height · 3` bytes). Use on images that come from callers.
 */
export function assertRgbImage(image: RgbImage, what = 'image'): void {
  if (typeof image !== 'object' || image === null) {
    throw kandinskyError(
      'INVALID_IMAGE',
      `Expected an RGB image { width, height, data } for the ${what}, got ${describeValue(image)}.`,
      'Create images with createRgbImage(width, height, data).',
    );
  }
  assertImageSize(what, image.width, image.height);
  assertRgbBuffer(image.width, image.height, image.data, what);
}

function assertRgbBuffer(width: number, height: number, data: unknown, what = 'image'): void {
  if (!(data instanceof Uint8Array) || data instanceof Uint8ClampedArray) {
    const found = (data as object | null)?.constructor?.name ?? typeof data;
    throw kandinskyError(
      'INVALID_IMAGE',
      `The ${what} data must be a Uint8Array of RGB bytes, got ${found}.`,
      'Pass a Uint8Array (wrap a Uint8ClampedArray with new Uint8Array(x.buffer, x.byteOffset, x.length)).',
    );
  }
  const expected = width * height * RGB_CHANNELS;
  if (data.length !== expected) {
    const rgba = data.length === width * height * 4;
    throw kandinskyError(
      'INVALID_IMAGE',
      `The ${what} data has ${data.length} bytes but a ${width}×${height} RGB image needs ${expected} (width · height · 3).`,
      rgba
        ? 'The buffer looks like RGBA: drop the alpha channel (every 4th byte) first.'
        : 'Make the buffer length equal width · height · 3, or fix the width and height.',
      { width, height, length: data.length, expected },
    );
  }
}
