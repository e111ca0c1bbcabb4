import { KandinskyError, createRgbImage, embedGenerationMetadata, invalidArgument, kandinskyError, type GenerationMetadata, type RgbImage } from '@kandinsky/core';

/** What {@link decodeImage} accepts: an encoded file, a decoded bitmap or canvas pixels. */
export type WebImageInput = Blob | ImageBitmap | ImageData;

/**
 * Turns RGBA pixels into an {@link RgbImage}, compositing transparent pixels onto `background`
 * (white by default, as `readImage` of `@kandinsky/node` does).
 */
export function imageDataToRgb(image: ImageData, background: readonly [number, number, number] = [255, 255, 255]): RgbImage {
  const pixels = image as Partial<ImageData> | null;
  if (typeof pixels !== 'object' || pixels === null || !(pixels.data instanceof Uint8ClampedArray) || pixels.data.length !== (pixels.width as number) * (pixels.height as number) * 4) {
    throw invalidArgument('image', image, 'an ImageData (RGBA bytes of width × height)', 'Pass context.getImageData(…) or new ImageData(data, width, height).');
  }
  if (!Array.isArray(background) || background.length !== 3 || !background.every((v) => typeof v === 'number' && v >= 0 && v <= 255)) {
    throw invalidArgument('background', background, 'an [r, g, b] triple of 0–255', 'Pass e.g. [255, 255, 255] for white, or leave it out.');
  }
  const { width, height, data } = image;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < data.length; i += 4, j += 3) {
    const alpha = data[i + 3]! / 255;
    for (let c = 0; c < 3; c++) rgb[j + c] = Math.round(data[i + c]! * alpha + background[c]! * (1 - alpha));
  }
  return createRgbImage(width, height, rgb);
}

/** An {@link RgbImage} as opaque `ImageData`, ready for `putImageData`. */
export function rgbToImageData(image: RgbImage): ImageData {
  if (typeof image !== 'object' || image === null) {
    throw invalidArgument('image', image, 'an RgbImage { width, height, data }', 'Pass an image from a pipeline result or decodeImage.');
  }
  createRgbImage(image.width, image.height, image.data); // validates size and buffer length
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; j < image.data.length; i += 4, j += 3) {
    rgba[i] = image.data[j]!;
    rgba[i + 1] = image.data[j + 1]!;
    rgba[i + 2] = image.data[j + 2]!;
    rgba[i + 3] = 255;
  }
  return new ImageData(rgba, image.width, image.height);
}

/**
 * Decodes a PNG/JPEG/WebP/GIF `Blob` (a file input's `File`), an `ImageBitmap` or `ImageData`
 * into an {@link RgbImage}, through `createImageBitmap` and an `OffscreenCanvas` (works in
 * workers). EXIF orientation is applied by the browser. A blob that is not an image is
 * INVALID_IMAGE.
 */
export async function decodeImage(input: WebImageInput): Promise<RgbImage> {
  const isBlob = typeof Blob !== 'undefined' && input instanceof Blob;
  const isBitmap = typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap;
  const isImageData = typeof ImageData !== 'undefined' && input instanceof ImageData;
  if (!isBlob && !isBitmap && !isImageData) {
    throw invalidArgument('input', input, 'a Blob (an image file), an ImageBitmap or an ImageData', 'Pass a file input\'s File, createImageBitmap(…) or context.getImageData(…).');
  }
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) return imageDataToRgb(input);
  let bitmap: ImageBitmap;
  try {
    bitmap = input instanceof Blob ? await createImageBitmap(input, { imageOrientation: "from-image", premultiplyAlpha: "none", colorSpaceConversion: "none" }) : (input as ImageBitmap);
  } catch (cause) {
    const what = input instanceof Blob ? `<${input.size} bytes${input.type ? `, ${input.type}` : ''}>` : 'the bitmap';
    throw kandinskyError('INVALID_IMAGE', `Cannot decode the image ${what}: it is not an image the browser can read.`, 'Pass a PNG, JPEG, WebP or GIF file.', undefined, cause);
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(bitmap, 0, 0);
    return imageDataToRgb(context.getImageData(0, 0, bitmap.width, bitmap.height));
  } catch (cause) {
    if (KandinskyError.isInstance(cause)) throw cause;
    throw kandinskyError('INVALID_IMAGE', `Cannot read the pixels of the image (${bitmap.width}×${bitmap.height}).`, 'Pass a PNG, JPEG, WebP or GIF file.', undefined, cause);
  } finally {
    if (input instanceof Blob) bitmap.close();
  }
}

/**
 * Encodes an {@link RgbImage} as PNG through `OffscreenCanvas.convertToBlob`. With `metadata`,
 * the generation parameters go into the same iTXt chunks as the PNGs of `@kandinsky/node`
 * (`parameters` and `kandinsky`, written by core's `embedGenerationMetadata`).
 */
export async function encodePng(image: RgbImage, metadata?: GenerationMetadata): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext('2d')!.putImageData(rgbToImageData(image), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return metadata ? embedGenerationMetadata(bytes, metadata) : bytes;
}

/** {@link encodePng} as a `Blob` of type `image/png`, for `URL.createObjectURL` or a download link. */
export async function encodePngBlob(image: RgbImage, metadata?: GenerationMetadata): Promise<Blob> {
  return new Blob([(await encodePng(image, metadata)) as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}
