import { PIXEL_MULTIPLE, type RgbImage } from '@kandinsky/core';
import { readImage } from '@kandinsky/node';
import { usageError } from './usage-error.js';

/** The img2img input and the size to generate at. */
export interface InputImage {
  readonly image: RgbImage;
  readonly width: number;
  readonly height: number;
}

/**
 * Reads the img2img input before any model loads, and settles the output size: `--size` when
 * given (the pipeline resizes the image), otherwise the image's own size, which must then be a
 * multiple of 64 (spec §2.4) since resizing behind the user's back would change the picture.
 */
export async function readInputImage(path: string, size: { width: number; height: number } | undefined): Promise<InputImage> {
  const image = await readImage(path);
  if (size) return { image, ...size };
  const { width, height } = image;
  if (width % PIXEL_MULTIPLE !== 0 || height % PIXEL_MULTIPLE !== 0) {
    const round = (side: number) => Math.max(PIXEL_MULTIPLE, Math.round(side / PIXEL_MULTIPLE) * PIXEL_MULTIPLE);
    throw usageError(
      `The image ${JSON.stringify(path)} is ${width}x${height}; img2img needs sides that are multiples of ${PIXEL_MULTIPLE}.`,
      `Pass --size ${round(width)}x${round(height)} to resize it, or crop the image.`,
      { image: path, width, height },
    );
  }
  return { image, width, height };
}
