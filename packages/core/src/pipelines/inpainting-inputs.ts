import { kandinskyError } from '../errors/error-constructors.js';
import { imagesToTensor } from '../image/image-tensor.js';
import type { ImageMask } from '../image/image-mask.js';
import { interpolate } from '../image/interpolate.js';
import { resizeLikePillow } from '../image/pillow-resize.js';
import { assertRgbImage, type RgbImage } from '../image/rgb-image.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { LATENT_SCALE } from './kandinsky3-components.js';
import { PIXEL_MULTIPLE } from './generation-options.js';
import { checkInteger, checkObject } from '../errors/argument-checks.js';

/** The area the reference shrinks inpainting inputs to, at most (spec §4.5 step 1: 1024²). */
export const INPAINTING_MAX_AREA = 1024 * 1024;

/** Python's `round`: to the nearest integer, halves to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The size the reference works at (spec §4.5 step 1, `resize_image_for_diffusion`):
 * `r = max(1, √(W·H / 1024²))`, each side `⌊round(side / r) / 64⌋ · 64`. Images of at most ~1 MP
 * keep their size, floored to multiples of 64.
 *
 * @throws KandinskyError INVALID_IMAGE when a side would become 0 (a side under 64 pixels).
 */
export function inpaintingSize(width: number, height: number): { width: number; height: number } {
  checkInteger('width', width, 1, 'Pass the image width in pixels.');
  checkInteger('height', height, 1, 'Pass the image height in pixels.');
  const reduce = Math.max(1, Math.sqrt((width * height) / INPAINTING_MAX_AREA));
  const side = (value: number) => Math.floor(roundHalfEven(value / reduce) / PIXEL_MULTIPLE) * PIXEL_MULTIPLE;
  const size = { width: side(width), height: side(height) };
  if (size.width === 0 || size.height === 0) {
    throw kandinskyError(
      'INVALID_IMAGE',
      `The image is ${width}×${height}; inpainting works on sides floored to multiples of ${PIXEL_MULTIPLE}, which leaves ${size.width}×${size.height}.`,
      `Use an image at least ${PIXEL_MULTIPLE}×${PIXEL_MULTIPLE} pixels (enlarge a small one first).`,
      { width, height },
    );
  }
  return size;
}

/** What the inpainting UNet is conditioned on, at the working size (spec §4.5 steps 1–5). */
export interface InpaintingInputs {
  readonly width: number;
  readonly height: number;
  /** The user's mask at the working size (1 = repaint), fractional at resized edges. */
  readonly mask: ImageMask;
  /** `1 − mask` in float32, `[1, 1, H, W]`: 1 = keep (the model's convention, spec §2.5). */
  readonly keep: Tensor<'float32'>;
  /** The image in [−1, 1], `[1, 3, H, W]`, set to 0 wherever `keep` is not exactly 1. */
  readonly maskedImage: Tensor<'float32'>;
  /** `keep` resized to the latent with nearest interpolation, `[1, 1, H/8, W/8]`. */
  readonly latentMask: Tensor<'float32'>;
}

/**
 * The reference's preprocessing (ai-forever `Kandinsky3InpaintingPipeline.prepare_batch` and
 * `shared_step`): the image resized with Pillow's bicubic filter and the mask bilinearly
 * (scikit-image `resize(order=1)`, equal to `interpolate(..., 'bilinear')` when shrinking) to
 * {@link inpaintingSize}; `keep = 1 − mask`; the image zeroed (mid grey) wherever `keep ≠ 1`, so
 * fractional edges count as repainted; the latent mask by nearest interpolation. `mask` must
 * already be the image's size.
 */
export function prepareInpaintingInputs(image: RgbImage, mask: ImageMask): InpaintingInputs {
  assertRgbImage(image);
  checkObject('mask', mask, 'an ImageMask { width, height, data }', 'Create masks with createImageMask(width, height, data).');
  const { width, height } = inpaintingSize(image.width, image.height);
  const sized = image.width === width && image.height === height ? image : resizeLikePillow(image, { width, height, filter: 'bicubic' });
  const sizedMask = mask.width === width && mask.height === height ? mask : interpolate(mask, { width, height, mode: 'bilinear' });
  const plane = width * height;
  const keep = createTensor('float32', [1, 1, height, width]);
  for (let i = 0; i < plane; i++) keep.data[i] = 1 - sizedMask.data[i]!;
  const maskedImage = imagesToTensor(sized);
  for (let i = 0; i < plane; i++) {
    if (keep.data[i] !== 1) {
      maskedImage.data[i] = 0;
      maskedImage.data[plane + i] = 0;
      maskedImage.data[2 * plane + i] = 0;
    }
  }
  const latentMask = interpolate(keep, { width: width / LATENT_SCALE, height: height / LATENT_SCALE, mode: 'nearest' });
  return { width, height, mask: sizedMask, keep, maskedImage, latentMask };
}
