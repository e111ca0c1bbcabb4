import { readFile } from 'node:fs/promises';
import { KandinskyError, invalidArgument, kandinskyError, maskFromAlpha, type ImageMask } from '@kandinsky/core';
import sharp from 'sharp';

/**
 * Reads an image's transparency as an inpainting mask, the convention of image editors and of
 * hosted "edit" APIs: transparent pixels (alpha 0) are repainted, opaque ones kept, partial
 * transparency gives fractional values (`1 − alpha/255`). EXIF orientation is applied as in
 * `readImage`, so the mask lines up with the image it came from.
 *
 * @throws KandinskyError INVALID_IMAGE when the file cannot be read or decoded, or has no alpha
 *   channel.
 */
export async function readAlphaMask(input: string | Uint8Array): Promise<ImageMask> {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw invalidArgument('input', input, 'a file path or the bytes of an image (Uint8Array)', 'Pass e.g. "mask.png", a PNG whose alpha channel is the mask.');
  }
  const what = typeof input === 'string' ? JSON.stringify(input) : `<${input.byteLength} bytes>`;
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? await readFile(input) : input;
  } catch (cause) {
    throw kandinskyError('INVALID_IMAGE', `Cannot read the image file ${what}.`, 'Check that the path exists and is readable.', undefined, cause);
  }
  try {
    const image = sharp(bytes, { failOn: 'error' });
    const { hasAlpha } = await image.metadata();
    if (!hasAlpha) {
      throw kandinskyError(
        'INVALID_IMAGE',
        `The image ${what} has no alpha channel, so it holds no transparent region to repaint.`,
        'Erase the region to repaint to transparency in an image editor and save as PNG or WebP, or pass a separate mask image (white = repaint).',
      );
    }
    const { data, info } = await image.rotate().extractChannel('alpha').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`the alpha channel decoded as ${info.channels} channels`);
    return maskFromAlpha(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height);
  } catch (cause) {
    if (KandinskyError.isInstance(cause)) throw cause;
    throw kandinskyError(
      'INVALID_IMAGE',
      `Cannot decode the image ${what}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      'Pass a PNG, WebP, AVIF, TIFF or GIF file with transparency.',
      undefined,
      cause,
    );
  }
}
