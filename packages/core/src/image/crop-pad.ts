import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ImageMask } from './image-mask.js';
import { layoutOf, rebuild, type Resizable, type ResizableLayout } from './resizable.js';
import type { RgbImage } from './rgb-image.js';

/** A pixel rectangle: `left`/`top` is its first pixel, `width × height` its size. */
export interface CropRectangle {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * How {@link pad} fills the border, named as PyTorch's `F.pad` modes: `constant` writes a
 * value, `reflect` mirrors without repeating the edge pixel (`dcb|abcd|cba`), `replicate`
 * repeats the edge pixel (`aaa|abcd|ddd`, numpy's `edge`).
 */
export type PaddingMode = 'constant' | 'reflect' | 'replicate';

/** Options of {@link pad}: pixels to add on each side, and how to fill them. */
export interface PadOptions {
  /** @default 0 */
  readonly left?: number;
  /** @default 0 */
  readonly right?: number;
  /** @default 0 */
  readonly top?: number;
  /** @default 0 */
  readonly bottom?: number;
  /**
   * Fill rule.
   * @default 'constant'
   */
  readonly mode?: PaddingMode;
  /**
   * Fill value for `constant`: any finite number for tensors, an integer 0–255 for RGB images
   * (all three channels), a value in [0, 1] for masks.
   * @default 0
   */
  readonly value?: number;
}

/**
 * Copies `input` through per-axis index maps: output (y, x) takes source
 * (`rows[y]`, `columns[x]`), or `fill` where a map holds −1.
 */
function remap(
  input: Resizable,
  layout: ResizableLayout,
  rows: Int32Array,
  columns: Int32Array,
  fill: number,
): Resizable {
  const { planes, width, height, interleaved } = layout.stack;
  const outputWidth = columns.length;
  const outputHeight = rows.length;
  const source = input.data;
  const output =
    source instanceof Uint8Array
      ? new Uint8Array(planes * outputWidth * outputHeight)
      : new Float32Array(planes * outputWidth * outputHeight);
  // Interleaved (RGB) keeps channels adjacent; planar walks plane by plane.
  const sourcePlane = interleaved ? 1 : width * height;
  const sourceRow = interleaved ? width * planes : width;
  const sourceColumn = interleaved ? planes : 1;
  const targetPlane = interleaved ? 1 : outputWidth * outputHeight;
  const targetRow = interleaved ? outputWidth * planes : outputWidth;
  const targetColumn = interleaved ? planes : 1;
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < outputHeight; y++) {
      const row = rows[y]!;
      const targetBase = p * targetPlane + y * targetRow;
      const sourceBase = p * sourcePlane + row * sourceRow;
      for (let x = 0; x < outputWidth; x++) {
        const column = columns[x]!;
        output[targetBase + x * targetColumn] =
          row < 0 || column < 0 ? fill : source[sourceBase + column * sourceColumn]!;
      }
    }
  }
  return rebuild(layout, { width: outputWidth, height: outputHeight }, output);
}

function range(start: number, length: number): Int32Array {
  const indices = new Int32Array(length);
  for (let i = 0; i < length; i++) indices[i] = start + i;
  return indices;
}

function describeSize(layout: ResizableLayout): string {
  return `${layout.stack.width}×${layout.stack.height}`;
}

/**
 * Cuts `rectangle` out of an image, mask or float32 tensor `[..., H, W]` (a copy).
 *
 * @throws KandinskyError INVALID_ARGUMENT, naming the rectangle and the input size, when the
 *   rectangle is not integers, is empty, or reaches outside the input.
 */
export function crop(input: RgbImage, rectangle: CropRectangle): RgbImage;
export function crop(input: ImageMask, rectangle: CropRectangle): ImageMask;
export function crop(input: Tensor<'float32'>, rectangle: CropRectangle): Tensor<'float32'>;
export function crop(input: Resizable, rectangle: CropRectangle): Resizable;
export function crop(input: Resizable, rectangle: CropRectangle): Resizable {
  const layout = layoutOf('crop', input);
  const { left, top, width, height } = rectangle ?? ({} as CropRectangle);
  const integers = [left, top, width, height].every((value) => Number.isInteger(value));
  if (
    !integers ||
    left < 0 ||
    top < 0 ||
    width < 1 ||
    height < 1 ||
    left + width > layout.stack.width ||
    top + height > layout.stack.height
  ) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `crop: rectangle ${describeValue(rectangle)} is not inside the ${describeSize(layout)} input.`,
      'Use whole-pixel left/top ≥ 0 and width/height ≥ 1 with left + width ≤ input width and top + height ≤ input height.',
      { rectangle, width: layout.stack.width, height: layout.stack.height },
    );
  }
  return remap(input, layout, range(top, height), range(left, width), 0);
}

/**
 * Crops the centre `width × height` like transformers' `center_crop` (CLIP preprocessing,
 * spec §2.7): `top = ⌊(H − height)/2⌋`, `left = ⌊(W − width)/2⌋`, so an odd surplus leaves the
 * extra pixel on the bottom/right. (torchvision rounds instead; the two differ by one pixel.)
 *
 * @throws KandinskyError INVALID_ARGUMENT when the crop size is not integers ≥ 1 or is larger
 *   than the input (transformers would zero-pad; resize first instead).
 */
export function centerCrop(input: RgbImage, size: { width: number; height: number }): RgbImage;
export function centerCrop(input: ImageMask, size: { width: number; height: number }): ImageMask;
export function centerCrop(
  input: Tensor<'float32'>,
  size: { width: number; height: number },
): Tensor<'float32'>;
export function centerCrop(input: Resizable, size: { width: number; height: number }): Resizable;
export function centerCrop(input: Resizable, size: { width: number; height: number }): Resizable {
  const layout = layoutOf('centerCrop', input);
  const { width, height } = size ?? ({} as { width: number; height: number });
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > layout.stack.width ||
    height > layout.stack.height
  ) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `centerCrop: size ${describeValue(width)}×${describeValue(height)} does not fit in the ${describeSize(layout)} input.`,
      'Crop to whole pixels, no larger than the input (resize the input first if it is smaller).',
      { width, height, inputWidth: layout.stack.width, inputHeight: layout.stack.height },
    );
  }
  const top = Math.floor((layout.stack.height - height) / 2);
  const left = Math.floor((layout.stack.width - width) / 2);
  return remap(input, layout, range(top, height), range(left, width), 0);
}

function paddedIndices(size: number, before: number, after: number, mode: PaddingMode): Int32Array {
  const indices = new Int32Array(before + size + after);
  for (let o = 0; o < indices.length; o++) {
    let i = o - before;
    if (i < 0 || i >= size) {
      if (mode === 'constant') i = -1;
      else if (mode === 'replicate') i = i < 0 ? 0 : size - 1;
      else i = i < 0 ? -i : 2 * (size - 1) - i;
    }
    indices[o] = i;
  }
  return indices;
}

/**
 * Pads an image, mask or float32 tensor `[..., H, W]` on each side, like PyTorch's
 * `F.pad(x, (left, right, top, bottom), mode, value)`. Used e.g. to bring an SR view to a
 * multiple of 8 (spec §4.8.1).
 *
 * @throws KandinskyError INVALID_ARGUMENT when a padding is not an integer ≥ 0, `reflect`
 *   padding is not smaller than the side it mirrors (PyTorch's rule), the mode is unknown, or
 *   the fill value does not suit the input.
 */
export function pad(input: RgbImage, options: PadOptions): RgbImage;
export function pad(input: ImageMask, options: PadOptions): ImageMask;
export function pad(input: Tensor<'float32'>, options: PadOptions): Tensor<'float32'>;
export function pad(input: Resizable, options: PadOptions): Resizable;
export function pad(input: Resizable, options: PadOptions): Resizable {
  const layout = layoutOf('pad', input);
  const { left = 0, right = 0, top = 0, bottom = 0, mode = 'constant', value = 0 } = options ?? {};
  for (const [name, amount] of Object.entries({ left, right, top, bottom })) {
    if (!Number.isInteger(amount) || amount < 0) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `pad: ${name} padding ${describeValue(amount)} is not an integer ≥ 0.`,
        'Pad by whole pixels.',
      );
    }
  }
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'replicate') {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `pad: unknown mode ${describeValue(mode)}.`,
      "Use 'constant', 'reflect' or 'replicate'.",
    );
  }
  const { width, height } = layout.stack;
  if (mode === 'reflect' && (left >= width || right >= width || top >= height || bottom >= height)) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `pad: reflect padding ${describeValue({ left, right, top, bottom })} must be smaller than the ${describeSize(layout)} input on each axis.`,
      "Use 'replicate' or 'constant', or pad in several steps.",
    );
  }
  const validValue =
    layout.kind === 'rgb'
      ? Number.isInteger(value) && value >= 0 && value <= 255
      : layout.kind === 'mask'
        ? value >= 0 && value <= 1
        : Number.isFinite(value);
  if (!validValue) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `pad: fill value ${describeValue(value)} does not suit a ${layout.kind === 'rgb' ? 'RGB image' : layout.kind}.`,
      'Use an integer 0–255 for RGB images, a value in [0, 1] for masks, a finite number for tensors.',
    );
  }
  return remap(
    input,
    layout,
    paddedIndices(height, top, bottom, mode),
    paddedIndices(width, left, right, mode),
    value,
  );
}
