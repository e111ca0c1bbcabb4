import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { createImageMask, type ImageMask } from './image-mask.js';
import { assertImageSize, assertRgbImage, RGB_CHANNELS, type RgbImage } from './rgb-image.js';

/**
 * What an inpainting call takes as its mask (1 / white = repaint, 0 / black = keep, spec §4.5):
 * an {@link ImageMask}; a mask image (its grey level, Pillow's `convert('L')`, divided by 255);
 * or a plane of one value per pixel, `Uint8Array` (0…255) or `Float32Array` (0…1), the image's
 * size. Grey levels between are kept fractional, as the reference pipeline keeps them.
 */
export type InpaintingMaskInput = ImageMask | RgbImage | Uint8Array | Float32Array;

/** A pixel rectangle: left, top, width and height. */
export interface MaskRectangle {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * A `width × height` mask that repaints `rectangle` (1 inside, 0 outside). The rectangle may reach
 * past the edges (it is cut to the mask) but must overlap it.
 *
 * @throws KandinskyError INVALID_ARGUMENT for a rectangle that is not four integers with positive
 *   size, or that lies wholly outside the mask; INVALID_IMAGE for a bad mask size.
 */
export function rectangleMask(width: number, height: number, rectangle: MaskRectangle): ImageMask {
  assertImageSize('mask', width, height);
  const { x, y } = rectangle ?? {};
  const w = rectangle?.width;
  const h = rectangle?.height;
  const valid = [x, y, w, h].every((v) => Number.isInteger(v)) && w! > 0 && h! > 0;
  const x0 = Math.max(0, x!);
  const y0 = Math.max(0, y!);
  const x1 = Math.min(width, x! + w!);
  const y1 = Math.min(height, y! + h!);
  if (!valid || x0 >= x1 || y0 >= y1) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `rectangleMask: rectangle ${describeValue(rectangle)} does not cover any pixel of a ${width}×${height} mask.`,
      'Give { x, y, width, height } in whole pixels, with a positive size, overlapping the image.',
      { width, height },
    );
  }
  const data = new Float32Array(width * height);
  for (let row = y0; row < y1; row++) data.fill(1, row * width + x0, row * width + x1);
  return createImageMask(width, height, data);
}

/**
 * The grey level of a mask image as Pillow's `convert('L')` computes it
 * (`(19595·R + 38470·G + 7471·B + 2¹⁵) >> 16`), divided by 255: white repaints, black keeps.
 */
export function maskFromImage(image: RgbImage): ImageMask {
  assertRgbImage(image, 'mask image');
  const { width, height, data } = image;
  const out = new Float32Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += RGB_CHANNELS) {
    out[i] = ((19595 * data[j]! + 38470 * data[j + 1]! + 7471 * data[j + 2]! + 32768) >>> 16) / 255;
  }
  return createImageMask(width, height, out);
}

/**
 * The mask of an image's alpha channel, the convention of image editors and hosted "edit" APIs:
 * transparent (alpha 0) repaints, opaque (255) keeps, `1 − alpha/255` between.
 *
 * @throws KandinskyError INVALID_IMAGE unless `alpha` is a `Uint8Array` of `width · height` values.
 */
export function maskFromAlpha(alpha: Uint8Array, width: number, height: number): ImageMask {
  const plane = checkPlane(alpha, width, height, 'alpha channel');
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = (255 - plane[i]!) / 255;
  return createImageMask(width, height, out);
}

/**
 * Turns any {@link InpaintingMaskInput} into an {@link ImageMask} of `width × height` (the image's
 * size): planes take that size, images and masks must already have it.
 *
 * @throws KandinskyError SHAPE_MISMATCH when the mask's size is not the image's; INVALID_IMAGE when
 *   the mask is not one of the accepted forms or holds a value outside its range.
 */
export function toInpaintingMask(mask: InpaintingMaskInput, width: number, height: number): ImageMask {
  let result: ImageMask;
  if (mask instanceof Uint8Array) {
    const plane = checkPlane(mask, width, height, 'mask');
    const data = new Float32Array(plane.length);
    for (let i = 0; i < data.length; i++) data[i] = plane[i]! / 255;
    result = createImageMask(width, height, data);
  } else if (mask instanceof Float32Array) {
    result = createImageMask(width, height, checkPlane(mask, width, height, 'mask'));
  } else if (typeof mask === 'object' && mask !== null && mask.data instanceof Float32Array) {
    result = createImageMask(mask.width, mask.height, mask.data);
  } else if (typeof mask === 'object' && mask !== null && mask.data instanceof Uint8Array) {
    result = maskFromImage(mask as RgbImage);
  } else {
    throw kandinskyError(
      'INVALID_IMAGE',
      `The mask ${describeValue(mask)} is not an image, an ImageMask or a Uint8Array/Float32Array plane.`,
      'Pass a mask image (white = repaint), an ImageMask, or one value per pixel (1 / 255 = repaint).',
    );
  }
  if (result.width !== width || result.height !== height) {
    throw kandinskyError(
      'SHAPE_MISMATCH',
      `The mask is ${result.width}×${result.height} but the image is ${width}×${height}.`,
      'Draw the mask at the image\'s own size (resize it with interpolate(mask, { width, height, mode: "bilinear" })).',
      { maskWidth: result.width, maskHeight: result.height, width, height },
    );
  }
  return result;
}

function checkPlane<T extends Uint8Array | Float32Array>(plane: T, width: number, height: number, what: string): T {
  assertImageSize('image', width, height);
  if (plane.length !== width * height) {
    throw kandinskyError(
      'SHAPE_MISMATCH',
      `The ${what} has ${plane.length} values but the ${width}×${height} image needs ${width * height} (one per pixel).`,
      `Give one ${what} value per pixel of the image, row by row.`,
      { length: plane.length, expected: width * height },
    );
  }
  return plane;
}
