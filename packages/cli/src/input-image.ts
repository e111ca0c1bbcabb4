import { DEFAULT_MAX_PIXELS, PIXEL_MULTIPLE, type PixelLimits, type RgbImage } from '@kandinsky/core';
import { readImage } from '@kandinsky/node';

/** The img2img input and the size to generate at. */
export interface InputImage {
  readonly image: RgbImage;
  readonly width: number;
  readonly height: number;
  /** Set when the image's own size could not be used as is: what size is used instead, and why. */
  readonly note?: string;
}

/**
 * Reads the img2img input before any model loads, and settles the output size: `--size` when
 * given (the pipeline resizes the image), otherwise the image's own size when its sides are
 * multiples of 64 (spec §2.4) and it fits the 1024² pixel limit. Any other image is worked on at
 * the reference's rule for editing (spec §4.5 step 1: scaled to at most 1024² pixels, sides
 * floored to multiples of 64), and `note` says so, so that the change is never silent.
 */
export async function readInputImage(
  path: string,
  size: { width: number; height: number } | undefined,
  limits: PixelLimits = {},
): Promise<InputImage> {
  const image = await readImage(path);
  // --max-pixels also sets the size an image without --size is scaled to fit.
  const maxPixels = Math.min(limits.maxPixels ?? DEFAULT_MAX_PIXELS, DEFAULT_MAX_PIXELS);
  if (size) return { image, ...size };
  const { width, height } = image;
  if (width % PIXEL_MULTIPLE === 0 && height % PIXEL_MULTIPLE === 0 && width * height <= maxPixels) return { image, width, height };
  const reduce = Math.max(1, Math.sqrt((width * height) / maxPixels));
  const side = (value: number) => Math.max(PIXEL_MULTIPLE, Math.floor(Math.round(value / reduce) / PIXEL_MULTIPLE) * PIXEL_MULTIPLE);
  const worked = { width: side(width), height: side(height) };
  return {
    image,
    ...worked,
    note: `The image ${JSON.stringify(path)} is ${width}x${height}; the command works at ${worked.width}x${worked.height} (sides multiples of ${PIXEL_MULTIPLE}, at most ${maxPixels} pixels). Pass --size to choose.`,
  };
}
