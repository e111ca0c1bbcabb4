import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDtype, type Tensor } from '../tensor/tensor.js';
import type { ImageMask } from './image-mask.js';
import { assertRgbImage, RGB_CHANNELS, type RgbImage } from './rgb-image.js';
import type { PlaneStack } from './separable-resample.js';

/**
 * What the resize functions accept: a float32 tensor `[..., H, W]` (usually NCHW; every leading
 * index is resized as its own plane), an {@link RgbImage}, or an {@link ImageMask}.
 */
export type Resizable = Tensor<'float32'> | RgbImage | ImageMask;

/** Output size of a resize. */
export interface TargetSize {
  /** Output width in pixels, an integer ≥ 1. */
  readonly width: number;
  /** Output height in pixels, an integer ≥ 1. */
  readonly height: number;
}

/** Throws INVALID_ARGUMENT, naming the size, unless both sides are integers ≥ 1. */
export function assertTargetSize(operation: string, size: TargetSize): void {
  if (typeof size !== 'object' || size === null) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `${operation} needs options { width, height }, got ${describeValue(size)}.`,
      'Pass the output size as { width, height } in pixels.',
    );
  }
  for (const side of ['width', 'height'] as const) {
    const value = size[side];
    if (!Number.isInteger(value) || value < 1) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `${operation}: target ${side} ${describeValue(value)} is not an integer ≥ 1 (requested ${describeValue(size.width)}×${describeValue(size.height)}).`,
        'Round the output size to whole pixels of at least 1.',
        { width: size.width, height: size.height },
      );
    }
  }
}

/** True for the tensor member of {@link Resizable}. */
export function isTensor(input: Resizable): input is Tensor<'float32'> {
  return typeof input === 'object' && input !== null && 'dims' in input;
}

/** Layout of a {@link Resizable}, validated. */
export interface ResizableLayout {
  readonly kind: 'tensor' | 'rgb' | 'mask';
  readonly stack: PlaneStack;
  /** Leading dims of a tensor (everything before H, W); empty for images. */
  readonly leadingDims: readonly number[];
}

/** Validates `input` and describes its memory layout. `operation` prefixes error messages. */
export function layoutOf(operation: string, input: Resizable): ResizableLayout {
  if (isTensor(input)) {
    assertDtype(`${operation} input`, input, 'float32');
    const dims = input.dims;
    if (dims.length < 2 || dims.some((dim) => !Number.isInteger(dim) || dim < 1)) {
      throw shapeMismatch(
        `${operation}: input tensor has shape ${describeValue(dims)}; expected [..., height, width] with every dimension ≥ 1.`,
        'Pass an NCHW float32 tensor (or any tensor whose last two dims are height and width).',
        { dims },
      );
    }
    const height = dims[dims.length - 2]!;
    const width = dims[dims.length - 1]!;
    const leadingDims = dims.slice(0, -2);
    const planes = leadingDims.reduce((product, dim) => product * dim, 1);
    return { kind: 'tensor', stack: { planes, width, height, interleaved: false }, leadingDims };
  }
  if (input?.data instanceof Float32Array) {
    const expected = input.width * input.height;
    if (!Number.isInteger(input.width) || !Number.isInteger(input.height) || input.width < 1 || input.height < 1 || input.data.length !== expected) {
      throw kandinskyError(
        'INVALID_IMAGE',
        `${operation}: mask of size ${describeValue(input.width)}×${describeValue(input.height)} has ${input.data.length} values.`,
        'Create masks with createImageMask(width, height, data).',
      );
    }
    return {
      kind: 'mask',
      stack: { planes: 1, width: input.width, height: input.height, interleaved: false },
      leadingDims: [],
    };
  }
  assertRgbImage(input as RgbImage, `${operation} input image`);
  return {
    kind: 'rgb',
    stack: { planes: RGB_CHANNELS, width: input.width, height: input.height, interleaved: true },
    leadingDims: [],
  };
}

/** Wraps resampled samples back into the input's kind. */
export function rebuild(
  layout: ResizableLayout,
  size: TargetSize,
  data: Float32Array | Uint8Array,
): Resizable {
  if (layout.kind === 'tensor') {
    return {
      dtype: 'float32',
      dims: [...layout.leadingDims, size.height, size.width],
      data: data as Float32Array,
    };
  }
  return { width: size.width, height: size.height, data } as RgbImage | ImageMask;
}

/**
 * Float samples → bytes: round half up and clamp to [0, 255]. Used when a float filter (the
 * PyTorch ones) resizes an {@link RgbImage}.
 */
export function floatToBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = Math.floor(values[i]! + 0.5);
    bytes[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  return bytes;
}

/** Clamps in place to [0, 1]. */
export function clampUnit(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value < 0) values[i] = 0;
    else if (value > 1) values[i] = 1;
  }
}
