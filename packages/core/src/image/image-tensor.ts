import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDtype, type Tensor } from '../tensor/tensor.js';
import { createImageMask, type ImageMask } from './image-mask.js';
import { assertRgbImage, RGB_CHANNELS, type RgbImage } from './rgb-image.js';
import { checkObject } from '../errors/argument-checks.js';

/**
 * Value range of an image tensor: `'minus-one-to-one'` is what the MoVQ encoder/decoder and the
 * SR UNet use (`2·x/255 − 1`, spec §5); `'zero-to-one'` is `x/255` (torchvision `ToTensor`,
 * CLIP before normalisation, spec §2.7).
 */
export type PixelRange = 'minus-one-to-one' | 'zero-to-one';

/**
 * How float pixels become bytes: `'round'` is diffusers' `numpy_to_pil`
 * (`(x·255).round()`, half to even), `'truncate'` is the ai-forever repositories' torchvision
 * `ToPILImage` (`x.mul(255).byte()`, toward zero) — spec §5.
 */
export type PixelRounding = 'round' | 'truncate';

/** Options of {@link imagesToTensor}. */
export interface ImagesToTensorOptions {
  /**
   * Value range of the result.
   * @default 'minus-one-to-one'
   */
  readonly range?: PixelRange;
}

/** Options of {@link tensorToImages}. */
export interface TensorToImagesOptions {
  /**
   * Value range of the input tensor; values outside it are clipped (that clip is part of every
   * reference post-processing, spec §5).
   * @default 'minus-one-to-one'
   */
  readonly range?: PixelRange;
  /**
   * Float → byte rounding. Pass `'truncate'` to reproduce the ai-forever pipelines (inpainting,
   * KandiSuperRes) byte for byte, `'round'` for diffusers.
   * @default 'round'
   */
  readonly rounding?: PixelRounding;
}

function checkRange(operation: string, range: unknown): PixelRange {
  if (range !== 'minus-one-to-one' && range !== 'zero-to-one') {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `${operation}: unknown range ${describeValue(range)}.`,
      "Use 'minus-one-to-one' or 'zero-to-one'.",
    );
  }
  return range;
}

/**
 * Stacks RGB images into one NCHW float32 tensor `[N, 3, H, W]`, channel-planar, in the chosen
 * range (`2·x/255 − 1` by default). All images must share one size.
 *
 * @throws KandinskyError INVALID_IMAGE for a malformed image, INVALID_ARGUMENT for an empty list,
 *   SHAPE_MISMATCH when sizes differ (resize first), INVALID_ARGUMENT for an unknown range.
 */
export function imagesToTensor(
  images: RgbImage | readonly RgbImage[],
  options: ImagesToTensorOptions = {},
): Tensor<'float32'> {
  const list: readonly RgbImage[] = Array.isArray(images) ? images : [images as RgbImage];
  const range = checkRange('imagesToTensor', options.range ?? 'minus-one-to-one');
  if (list.length === 0) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      'imagesToTensor: got an empty list of images.',
      'Pass at least one image.',
    );
  }
  list.forEach((image, index) => assertRgbImage(image, `image ${index}`));
  const { width, height } = list[0]!;
  list.forEach((image, index) => {
    if (image.width !== width || image.height !== height) {
      throw shapeMismatch(
        `imagesToTensor: image ${index} is ${image.width}×${image.height} but image 0 is ${width}×${height}.`,
        'Resize every image of a batch to the same size first.',
        { index, width: image.width, height: image.height },
      );
    }
  });
  // A 256-entry table: the conversion is exact per byte and the loop allocates nothing.
  const table = new Float32Array(256);
  for (let value = 0; value < 256; value++) {
    table[value] = range === 'zero-to-one' ? value / 255 : (2 * value) / 255 - 1;
  }
  const planeSize = width * height;
  const data = new Float32Array(list.length * RGB_CHANNELS * planeSize);
  list.forEach((image, n) => {
    const pixels = image.data;
    const base = n * RGB_CHANNELS * planeSize;
    for (let i = 0, j = 0; i < planeSize; i++, j += RGB_CHANNELS) {
      data[base + i] = table[pixels[j]!]!;
      data[base + planeSize + i] = table[pixels[j + 1]!]!;
      data[base + 2 * planeSize + i] = table[pixels[j + 2]!]!;
    }
  });
  return { dtype: 'float32', dims: [list.length, RGB_CHANNELS, height, width], data };
}

/** 2⁵²: adding and subtracting it rounds a float64 in [0, 2⁵¹) to an integer, half to even. */
const ROUND_HALF_EVEN = 4503599627370496;

/**
 * Kernel: the pixels of one image, channel-planar float32 at `source[offset…]` →
 * interleaved RGB bytes, `target[3i + c] = round(255·clip(f32(x + add)·scale))`, every step in
 * float32 like torch, rounded half to even (numpy's `round`, and ECMAScript's ToUint8Clamp). One
 * pass writes each pixel's three bytes together.
 *
 * `add`/`scale` are 1/0.5 for [−1, 1] ((x + 1)/2; halving is exact, so this equals diffusers'
 * x/2 + 0.5) and 0/1 for [0, 1] (x + 0 is x, or +0 for −0, which clips to 0 either way).
 * NaN becomes 0.
 */
function writePixelsRounded(
  source: Float32Array,
  offset: number,
  planeSize: number,
  target: Uint8Array,
  addIn: number,
  scaleIn: number,
): void {
  const f32 = Math.fround;
  // Unary + unboxes each scalar once (see schedulers/kandinsky-sampler.ts predictOriginal).
  const add = +addIn;
  const scale = +scaleIn;
  const green = offset + planeSize;
  const blue = green + planeSize;
  for (let i = 0, j = 0; i < planeSize; i++, j += RGB_CHANNELS) {
    const r = f32(source[offset + i]! + add) * scale;
    const g = f32(source[green + i]! + add) * scale;
    const b = f32(source[blue + i]! + add) * scale;
    // f32(u·255) ∈ [0, 255]: + 2⁵² − 2⁵² rounds it half to even, exactly.
    target[j] = f32((r > 0 ? (r > 1 ? 1 : r) : 0) * 255) + ROUND_HALF_EVEN - ROUND_HALF_EVEN;
    target[j + 1] = f32((g > 0 ? (g > 1 ? 1 : g) : 0) * 255) + ROUND_HALF_EVEN - ROUND_HALF_EVEN;
    target[j + 2] = f32((b > 0 ? (b > 1 ? 1 : b) : 0) * 255) + ROUND_HALF_EVEN - ROUND_HALF_EVEN;
  }
}

/** Kernel: {@link writePixelsRounded} truncating toward zero instead (torch's `.byte()`). */
function writePixelsTruncated(
  source: Float32Array,
  offset: number,
  planeSize: number,
  target: Uint8Array,
  addIn: number,
  scaleIn: number,
): void {
  const f32 = Math.fround;
  const add = +addIn;
  const scale = +scaleIn;
  const green = offset + planeSize;
  const blue = green + planeSize;
  for (let i = 0, j = 0; i < planeSize; i++, j += RGB_CHANNELS) {
    const r = f32(source[offset + i]! + add) * scale;
    const g = f32(source[green + i]! + add) * scale;
    const b = f32(source[blue + i]! + add) * scale;
    // A Uint8Array store truncates toward zero (ToUint8) and f32(u·255) ∈ [0, 255].
    target[j] = f32((r > 0 ? (r > 1 ? 1 : r) : 0) * 255);
    target[j + 1] = f32((g > 0 ? (g > 1 ? 1 : g) : 0) * 255);
    target[j + 2] = f32((b > 0 ? (b > 1 ? 1 : b) : 0) * 255);
  }
}

/**
 * Splits an NCHW float32 tensor `[N, 3, H, W]` into N RGB images: map the range to [0, 1]
 * (`(x + 1)/2` by default), clip to [0, 1], scale by 255 and round or truncate. Every step is
 * rounded to float32 like the PyTorch/numpy references, so results match them byte for byte
 * (`truncate` would otherwise be off by one where `x·255` lands just below an integer).
 *
 * NaN pixels become 0.
 *
 * @throws KandinskyError DTYPE_MISMATCH / SHAPE_MISMATCH unless the tensor is float32
 *   `[N, 3, H, W]`; INVALID_ARGUMENT for an unknown range or rounding.
 */
export function tensorToImages(
  tensor: Tensor<'float32'>,
  options: TensorToImagesOptions = {},
): RgbImage[] {
  const range = checkRange('tensorToImages', options.range ?? 'minus-one-to-one');
  const rounding = options.rounding ?? 'round';
  if (rounding !== 'round' && rounding !== 'truncate') {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `tensorToImages: unknown rounding ${describeValue(rounding)}.`,
      "Use 'round' (diffusers) or 'truncate' (ai-forever, torchvision ToPILImage).",
    );
  }
  assertDtype('tensorToImages input', tensor, 'float32');
  const dims = tensor.dims;
  if (dims.length !== 4 || dims[1] !== RGB_CHANNELS || dims.some((dim) => dim < 1)) {
    throw shapeMismatch(
      `tensorToImages: tensor has shape ${describeValue(dims)}; expected [N, 3, H, W] with every dimension ≥ 1.`,
      'Pass an NCHW RGB tensor (batch, 3 channels, height, width).',
      { dims },
    );
  }
  const [count, , height, width] = dims as [number, number, number, number];
  const planeSize = width * height;
  const source = tensor.data;
  const images: RgbImage[] = [];
  const add = range === 'zero-to-one' ? 0 : 1;
  const scale = range === 'zero-to-one' ? 1 : 0.5;
  const write = rounding === 'round' ? writePixelsRounded : writePixelsTruncated;
  for (let n = 0; n < count; n++) {
    const pixels = new Uint8Array(planeSize * RGB_CHANNELS);
    const offset = n * RGB_CHANNELS * planeSize;
    write(source, offset, planeSize, pixels, add, scale);
    images.push({ width, height, data: pixels });
  }
  return images;
}

/**
 * Subtracts a per-channel mean and divides by a per-channel standard deviation,
 * `(x − mean[c]) / std[c]`, on an NCHW float32 tensor; returns a new tensor.
 *
 * @throws KandinskyError INVALID_ARGUMENT when `mean`/`std` do not have one finite entry per
 *   channel or a `std` entry is 0; DTYPE_MISMATCH / SHAPE_MISMATCH for a tensor that is not
 *   float32 `[N, C, H, W]`.
 */
export function normalizeChannels(
  tensor: Tensor<'float32'>,
  mean: readonly number[],
  standardDeviation: readonly number[],
): Tensor<'float32'> {
  assertDtype('normalizeChannels input', tensor, 'float32');
  if (tensor.dims.length !== 4) {
    throw shapeMismatch(
      `normalizeChannels: tensor has shape ${describeValue(tensor.dims)}; expected [N, C, H, W].`,
      'Pass an NCHW tensor.',
    );
  }
  const [count, channels, height, width] = tensor.dims as [number, number, number, number];
  for (const [name, values] of [
    ['mean', mean],
    ['standardDeviation', standardDeviation],
  ] as const) {
    const bad =
      !Array.isArray(values) ||
      values.length !== channels ||
      values.some((v) => !Number.isFinite(v) || (name === 'standardDeviation' && v === 0));
    if (bad) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `normalizeChannels: ${name} ${describeValue(values)} must hold ${channels} finite numbers${name === 'standardDeviation' ? ', none 0' : ''}.`,
        'Give one value per channel of the tensor.',
      );
    }
  }
  const planeSize = width * height;
  const data = new Float32Array(tensor.data.length);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      const offset = (n * channels + c) * planeSize;
      const m = mean[c]!;
      const s = standardDeviation[c]!;
      for (let i = offset; i < offset + planeSize; i++) data[i] = (tensor.data[i]! - m) / s;
    }
  }
  return { dtype: 'float32', dims: [...tensor.dims], data };
}

/** A mask as a `[1, 1, H, W]` float32 tensor (values copied). */
export function maskToTensor(mask: ImageMask): Tensor<'float32'> {
  checkObject('mask', mask, 'an ImageMask { width, height, data }', 'Create masks with createImageMask(width, height, data).');
  createImageMask(mask.width, mask.height, mask.data);
  return { dtype: 'float32', dims: [1, 1, mask.height, mask.width], data: mask.data.slice() };
}
