import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import type { ImageMask } from './image-mask.js';
import { createImageMask } from './image-mask.js';
import { resizeLikePillow } from './pillow-resize.js';
import { assertRgbImage, RGB_CHANNELS, type RgbImage } from './rgb-image.js';

/** Options of {@link pasteBack}. */
export interface PasteBackOptions {
  /**
   * Width in pixels of the soft edge: the repaint region is grown by `feather` pixels and then
   * box-blurred by as many, so the generated pixels cover the whole mask and fade out over the
   * next `2·feather` pixels. 0 blends by the mask value alone (a hard edge for a binary mask).
   * @default 4
   */
  readonly feather?: number;
}

function maxFilter(values: Float32Array, width: number, height: number, radius: number): Float32Array {
  const horizontal = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let max = 0;
      for (let k = Math.max(0, x - radius); k <= Math.min(width - 1, x + radius); k++) max = Math.max(max, values[y * width + k]!);
      horizontal[y * width + x] = max;
    }
  }
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let max = 0;
      for (let k = Math.max(0, y - radius); k <= Math.min(height - 1, y + radius); k++) max = Math.max(max, horizontal[k * width + x]!);
      out[y * width + x] = max;
    }
  }
  return out;
}

/** Box blur over the window cut to the image (the mean of the pixels that exist). */
function boxBlur(values: Float32Array, width: number, height: number, radius: number): Float32Array {
  const horizontal = new Float64Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      const from = Math.max(0, x - radius);
      const to = Math.min(width - 1, x + radius);
      for (let k = from; k <= to; k++) sum += values[y * width + k]!;
      horizontal[y * width + x] = sum / (to - from + 1);
    }
  }
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      const from = Math.max(0, y - radius);
      const to = Math.min(height - 1, y + radius);
      for (let k = from; k <= to; k++) sum += horizontal[k * width + x]!;
      out[y * width + x] = sum / (to - from + 1);
    }
  }
  return out;
}

/**
 * Composites the kept pixels of `original` onto `generated`, at the original's own size: the
 * generated image is resized to it (Pillow bicubic) when the pipeline worked at another size,
 * and the two are blended by the feathered mask (1 = generated). Pixels farther than
 * `2·feather` from every repainted pixel come back exactly as they were. The reference pipeline
 * does not do this (spec §4.5 step 8); it undoes the MoVQ round trip's drift outside the mask.
 *
 * @throws KandinskyError INVALID_IMAGE for a malformed image or mask; SHAPE_MISMATCH when the
 *   mask is not the original's size; INVALID_ARGUMENT for a `feather` that is not an integer ≥ 0.
 */
export function pasteBack(original: RgbImage, generated: RgbImage, mask: ImageMask, options: PasteBackOptions = {}): RgbImage {
  assertRgbImage(original, 'original image');
  assertRgbImage(generated, 'generated image');
  const { width, height } = original;
  createImageMask(mask.width, mask.height, mask.data);
  if (mask.width !== width || mask.height !== height) {
    throw kandinskyError(
      'SHAPE_MISMATCH',
      `pasteBack: the mask is ${mask.width}×${mask.height} but the original image is ${width}×${height}.`,
      'Pass the mask the image was inpainted with, at the original image\'s size.',
    );
  }
  const feather = options.feather ?? 4;
  if (!Number.isInteger(feather) || feather < 0) {
    throw invalidArgument('feather', feather, 'an integer ≥ 0', 'Use e.g. 4 pixels, or 0 for a hard edge.');
  }
  const sized = generated.width === width && generated.height === height ? generated : resizeLikePillow(generated, { width, height, filter: 'bicubic' });
  const weights = feather === 0 ? mask.data : boxBlur(maxFilter(mask.data, width, height, feather), width, height, feather);
  const data = new Uint8Array(original.data.length);
  for (let i = 0, j = 0; i < weights.length; i++, j += RGB_CHANNELS) {
    const w = weights[i]!;
    for (let c = 0; c < RGB_CHANNELS; c++) {
      data[j + c] = Math.round(w * sized.data[j + c]! + (1 - w) * original.data[j + c]!);
    }
  }
  return { width, height, data };
}
