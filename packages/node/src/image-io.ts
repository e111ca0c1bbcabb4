import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import {
  KandinskyError,
  createRgbImage,
  embedGenerationMetadata,
  readPngText,
  type GenerationMetadata,
  type RgbImage,
  describeValue,
  invalidArgument,
  kandinskyError,
} from '@kandinsky/core';
import sharp from 'sharp';
import { assertOptionsObject } from './argument-checks.js';

/** Options of {@link readImage}. */
export interface ReadImageOptions {
  /**
   * Colour that transparent pixels are composited onto before the alpha channel is dropped.
   * @default '#ffffff'
   */
  background?: string;
  /**
   * Most pixels the file may have. Checked from the file's header before it is decoded (and given
   * to sharp as `limitInputPixels`), so an oversized file costs no memory: IMAGE_TOO_LARGE.
   * @default DEFAULT_MAX_INPUT_PIXELS (8192 × 8192; decoding that takes 192 MiB)
   */
  maxPixels?: number;
}

/** Default most pixels of an image file {@link readImage} decodes: 8192², 192 MiB as 8-bit RGB. */
export const DEFAULT_MAX_INPUT_PIXELS = 8192 * 8192;

/**
 * Reads any format sharp understands (PNG, JPEG, WebP, AVIF, TIFF, GIF, …) into an
 * {@link RgbImage}: EXIF orientation is applied (a phone photo comes out upright), alpha is
 * flattened onto `background`, and the result is 8-bit sRGB.
 */
export async function readImage(input: string | Uint8Array, options: ReadImageOptions = {}): Promise<RgbImage> {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw invalidArgument('input', input, 'a file path or the bytes of an image file (Uint8Array)', 'Pass e.g. readImage("photo.png").');
  }
  assertOptionsObject('options', options);
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
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  if (typeof maxPixels !== 'number' || !Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw invalidArgument('maxPixels', maxPixels, 'a positive integer number of pixels', `Leave it out for ${DEFAULT_MAX_INPUT_PIXELS}.`);
  }
  try {
    // The header alone gives the size: refuse before sharp allocates the decoded pixels.
    const { width, height } = await sharp(bytes, { failOn: 'error', limitInputPixels: false }).metadata();
    if (width !== undefined && height !== undefined && width * height > maxPixels) {
      throw kandinskyError(
        'IMAGE_TOO_LARGE',
        `The image ${what} is ${width}x${height} (${width * height} pixels), more than maxPixels ${maxPixels}; not decoded (that would take ${((width * height * 3) / 2 ** 20).toFixed(0)} MiB).`,
        'Downscale the file first, or raise readImage\'s maxPixels if the machine has the memory.',
        { width, height, pixels: width * height, maxPixels },
      );
    }
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
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
  assertImageObject(image);
  createRgbImage(image.width, image.height, image.data); // validates size and buffer length
  const png = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  return metadata ? embedGenerationMetadata(bytes, metadata) : bytes;
}

/** Writes `image` to `path` as PNG (creating the folder), with optional metadata. */
export async function writePng(path: string, image: RgbImage, metadata?: GenerationMetadata): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('path', path, 'a file path', 'Pass e.g. "out.png".');
  const bytes = await encodePng(image, metadata);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

/** The file extensions {@link writeImage} writes, and the format each selects. */
export const IMAGE_FILE_FORMATS = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' } as const;

/** Options of {@link writeImage}. */
export interface WriteImageOptions {
  /**
   * JPEG / WebP quality, 1–100 (PNG is lossless and ignores it).
   * @default 90
   */
  quality?: number;
}

/** XMP namespace of the generation metadata in JPEG and WebP files. */
export const KANDINSKY_XMP_NAMESPACE = 'https://github.com/kandinsky-ts/xmp/1.0/';

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/**
 * The XMP packet of `metadata` for JPEG and WebP: the same two entries as the PNG's text chunks
 * (`parameters`, the readable text, and `kandinsky`, the exact JSON), as elements of the
 * {@link KANDINSKY_XMP_NAMESPACE} namespace. XMP rather than EXIF because EXIF's text tags are
 * ASCII and a prompt is any Unicode text.
 */
async function xmpPacket(metadata: GenerationMetadata): Promise<string> {
  // The readable text is core's, taken from the PNG text chunks it writes (one 1×1 PNG).
  const png = await encodePng(createRgbImage(1, 1, new Uint8Array(3)), metadata);
  const entries = readPngText(png);
  const fields = entries.map(({ keyword, text }) => `<kandinsky:${keyword}>${escapeXml(text)}</kandinsky:${keyword}>`).join('');
  return (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:kandinsky="${KANDINSKY_XMP_NAMESPACE}">${fields}</rdf:Description>` +
    '</rdf:RDF></x:xmpmeta>'
  );
}

/**
 * Writes `image` to `path` (creating the folder) in the format its extension names: `.png`
 * (as {@link writePng}), `.jpg` / `.jpeg` or `.webp` (through sharp). The metadata goes where
 * the format holds it: PNG iTXt chunks, or an XMP packet in JPEG and WebP
 * (`parameters` and `kandinsky` in the {@link KANDINSKY_XMP_NAMESPACE} namespace).
 */
export async function writeImage(path: string, image: RgbImage, metadata?: GenerationMetadata, options: WriteImageOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('path', path, 'a file path ending in .png, .jpg, .jpeg or .webp', 'Pass e.g. "out.png".');
  assertOptionsObject('options', options);
  const extension = extname(path).toLowerCase();
  const format = (IMAGE_FILE_FORMATS as Record<string, 'png' | 'jpeg' | 'webp'>)[extension];
  if (format === undefined) {
    throw invalidArgument('path', path, 'a file name ending in .png, .jpg, .jpeg or .webp', 'Name the file for the format to write, e.g. "out.png".');
  }
  const quality = options.quality ?? 90;
  if (typeof quality !== 'number' || !Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw invalidArgument('quality', quality, 'a whole number from 1 to 100', 'Leave it out for 90.');
  }
  if (format === 'png') return writePng(path, image, metadata);
  createRgbImage(image.width, image.height, image.data); // validates size and buffer length
  let encoder = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  encoder = format === 'jpeg' ? encoder.jpeg({ quality }) : encoder.webp({ quality });
  if (metadata) encoder = encoder.withXmp(await xmpPacket(metadata));
  const bytes = await encoder.toBuffer();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}

/** INVALID_IMAGE for a missing or non-object image, before its fields are read. */
function assertImageObject(image: unknown): void {
  if (typeof image !== 'object' || image === null) {
    throw kandinskyError('INVALID_IMAGE', `Expected an RGB image { width, height, data }, got ${describeValue(image)}.`, 'Create images with createRgbImage(width, height, data) or readImage(path).');
  }
}
