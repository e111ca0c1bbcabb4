import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  KandinskyError,
  createRgbImage,
  embedGenerationMetadata,
  type GenerationMetadata,
  type RgbImage, kandinskyError } from '@kandinsky/core';
import sharp from 'sharp';

/** Options of {@link readImage}. */
export interface ReadImageOptions {
  /**
   * Colour that transparent pixels are composited onto before the alpha channel is dropped.
   * @default '#ffffff'
   */
  background?: string;
}

/**
 * Reads any format sharp understands (PNG, JPEG, WebP, AVIF, TIFF, GIF, …) into an
 * {@link RgbImage}: EXIF orientation is applied (a phone photo comes out upright), alpha is
 * flattened onto `background`, and the result is 8-bit sRGB.
 */
export async function readImage(input: string | Uint8Array, options: ReadImageOptions = {}): Promise<RgbImage> {
  const what = typeof input === 'string' ? JSON.stringify(input) : `<${input.byteLength} bytes>`;
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? await readFile(input) : input;
  } catch (cause) {
    throw kandinskyError(
      'INVALID_IMAGE',
      `Cannot read the image file ${what}.`,
      'Check that the path exists and is readable.',
      undefined,
      cause,
    );
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .rotate()
      .flatten({ background: options.background ?? '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return createRgbImage(info.width, info.height, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } catch (cause) {
    if (KandinskyError.isInstance(cause)) throw cause;
    throw kandinskyError(
      'INVALID_IMAGE',
      `Cannot decode the image ${what}: ${cause instanceof Error ? cause.message : String(cause)}.`,
      'Pass a PNG, JPEG, WebP, AVIF, TIFF or GIF file.',
      undefined,
      cause,
    );
  }
}

/**
 * Encodes an {@link RgbImage} as PNG. With `metadata`, the generation parameters are stored in
 * iTXt chunks: a human-readable `parameters` entry (the format other image tools read) and an
 * exact JSON `kandinsky` entry ({@link GenerationMetadata}).
 */
export async function encodePng(image: RgbImage, metadata?: GenerationMetadata): Promise<Uint8Array> {
  createRgbImage(image.width, image.height, image.data); // validates size and buffer length
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  return metadata ? embedGenerationMetadata(bytes, metadata) : bytes;
}

/** Writes `image` to `path` as PNG (creating the folder), with optional metadata. */
export async function writePng(path: string, image: RgbImage, metadata?: GenerationMetadata): Promise<void> {
  const bytes = await encodePng(image, metadata);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}
