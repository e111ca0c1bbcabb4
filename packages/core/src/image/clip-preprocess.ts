import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import type { Tensor } from '../tensor/tensor.js';
import { centerCrop } from './crop-pad.js';
import { imagesToTensor, normalizeChannels } from './image-tensor.js';
import { resizeLikePillow } from './pillow-resize.js';
import { assertRgbImage, type RgbImage } from './rgb-image.js';

/** CLIP image mean per RGB channel (spec §2.7, ip-adapter `preprocessor_config.json`). */
export const CLIP_IMAGE_MEAN: readonly number[] = Object.freeze([0.48145466, 0.4578275, 0.40821073]);

/** CLIP image standard deviation per RGB channel (spec §2.7). */
export const CLIP_IMAGE_STANDARD_DEVIATION: readonly number[] = Object.freeze([
  0.26862954, 0.26130258, 0.27577711,
]);

/** Side of the square CLIP ViT-L/14 input (spec §2.7). */
export const CLIP_IMAGE_SIZE = 224;

/** Options of {@link prepareClipPixelValues}. */
export interface ClipPreprocessOptions {
  /**
   * Shortest-edge resize target and centre-crop side.
   * @default 224
   */
  readonly size?: number;
}

/** Size after transformers' `shortest_edge` resize: short side → `size`, long side truncated. */
export function clipResizeSize(
  width: number,
  height: number,
  size: number,
): { width: number; height: number } {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? { width: size, height: newLong } : { width: newLong, height: size };
}

/**
 * CLIP image preprocessing as transformers' `CLIPImageProcessor` does it for the IP-Adapter
 * image encoder (spec §2.7): resize the shortest edge to `size` with Pillow bicubic on the 8-bit
 * image, centre-crop `size × size`, scale by 1/255, normalise with the CLIP mean/std.
 * Returns `pixel_values` `[N, 3, size, size]`.
 *
 * @throws KandinskyError INVALID_IMAGE for a malformed image, INVALID_ARGUMENT for an empty
 *   list or a size that is not an integer ≥ 1.
 */
export function prepareClipPixelValues(
  images: RgbImage | readonly RgbImage[],
  options: ClipPreprocessOptions = {},
): Tensor<'float32'> {
  const size = options.size ?? CLIP_IMAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `prepareClipPixelValues: size ${describeValue(size)} is not an integer ≥ 1.`,
      `Leave size unset for CLIP ViT-L/14 (${CLIP_IMAGE_SIZE}).`,
    );
  }
  const list: readonly RgbImage[] = Array.isArray(images) ? images : [images as RgbImage];
  const prepared = list.map((image, index) => {
    assertRgbImage(image, `image ${index}`);
    const resized = resizeLikePillow(image, {
      ...clipResizeSize(image.width, image.height, size),
      filter: 'bicubic',
    });
    return centerCrop(resized, { width: size, height: size });
  });
  const unit = imagesToTensor(prepared, { range: 'zero-to-one' });
  return normalizeChannels(unit, CLIP_IMAGE_MEAN, CLIP_IMAGE_STANDARD_DEVIATION);
}
