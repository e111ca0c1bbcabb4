import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ImageMask } from './image-mask.js';
import {
  assertTargetSize,
  clampUnit,
  layoutOf,
  rebuild,
  type Resizable,
  type TargetSize,
} from './resizable.js';
import type { RgbImage } from './rgb-image.js';
import {
  resampleFloat,
  resampleUint8LikePillow,
  type AxisPlan,
} from './separable-resample.js';

/**
 * Pillow's resampling filters (`PIL.Image.Resampling`). `bicubic` is Pillow's default for
 * `Image.resize` and the filter of diffusers' `VaeImageProcessor` (spec §4.4), the inpainting
 * image resize (§4.5), the SR Flash input (§4.8.1) and CLIP preprocessing (§2.7).
 */
export type PillowFilter = 'bicubic' | 'bilinear' | 'lanczos' | 'box' | 'hamming';

/** Options of {@link resizeLikePillow}. */
export interface PillowResizeOptions extends TargetSize {
  /**
   * Resampling filter.
   * @default 'bicubic'
   */
  readonly filter?: PillowFilter;
}

interface FilterKernel {
  readonly support: number;
  readonly weight: (x: number) => number;
}

// libImaging/Resample.c: bicubic uses a = -0.5 (Keys), unlike PyTorch's -0.75.
const PILLOW_BICUBIC_A = -0.5;

const HAMMING_ALPHA = Math.fround(0.54);
const HAMMING_BETA = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const scaled = x * Math.PI;
  return Math.sin(scaled) / scaled;
}

const kernels: Record<PillowFilter, FilterKernel> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    weight: (x) => {
      const distance = Math.abs(x);
      return distance < 1 ? 1 - distance : 0;
    },
  },
  hamming: {
    support: 1,
    weight: (x) => {
      const distance = Math.abs(x);
      if (distance === 0) return 1;
      if (distance >= 1) return 0;
      const scaled = distance * Math.PI;
      // Pillow writes these as C float literals (0.54f, 0.46f): keep their float32 values.
      return (Math.sin(scaled) / scaled) * (HAMMING_ALPHA + HAMMING_BETA * Math.cos(scaled));
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = PILLOW_BICUBIC_A;
      const distance = Math.abs(x);
      if (distance < 1) return ((a + 2) * distance - (a + 3)) * distance * distance + 1;
      if (distance < 2) return (((distance - 5) * distance + 8) * distance - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/**
 * Pillow's `precompute_coeffs` for the full box `[0, inputSize)`: the filter is stretched by the
 * downscale factor (so shrinking antialiases), taps are `[xmin, xmin + count)` around the
 * sample centre, and weights are normalised to sum to 1.
 */
export function pillowAxisPlan(inputSize: number, outputSize: number, filter: PillowFilter): AxisPlan {
  const kernel = kernels[filter];
  const scale = inputSize / outputSize;
  const filterScale = Math.max(scale, 1);
  const support = kernel.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const indices = new Int32Array(outputSize * taps);
  const weights = new Float64Array(outputSize * taps);
  const inverseFilterScale = 1 / filterScale;
  for (let o = 0; o < outputSize; o++) {
    const center = (o + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamp to 0 makes that the same as floor here.
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inputSize);
    const count = end - first;
    const base = o * taps;
    let total = 0;
    for (let k = 0; k < count; k++) {
      const weight = kernel.weight((k + first - center + 0.5) * inverseFilterScale);
      weights[base + k] = weight;
      total += weight;
    }
    for (let k = 0; k < taps; k++) {
      if (k < count) {
        if (total !== 0) weights[base + k]! /= total;
        indices[base + k] = first + k;
      } else {
        indices[base + k] = first;
      }
    }
  }
  return { inputSize, outputSize, taps, indices, weights };
}

/**
 * Resizes like Pillow's `Image.resize((width, height), filter)` (without `box` or
 * `reducing_gap`).
 *
 * - {@link RgbImage}: Pillow's 8-bit path bit for bit (22-bit fixed-point weights, uint8
 *   intermediate after the horizontal pass), as `Image.fromarray(rgb).resize(...)`.
 * - float32 tensor `[..., H, W]` / {@link ImageMask}: Pillow's `"F"` mode per plane (float64
 *   accumulation, float32 storage), no rounding. A mask's result is clamped to [0, 1] because
 *   `bicubic`, `lanczos` and `hamming` overshoot.
 *
 * An axis whose size does not change is copied, not filtered, as Pillow does.
 *
 * @throws KandinskyError INVALID_ARGUMENT for a target size that is not two integers ≥ 1 or an
 *   unknown filter; INVALID_IMAGE / SHAPE_MISMATCH / DTYPE_MISMATCH for a malformed input.
 */
export function resizeLikePillow(input: RgbImage, options: PillowResizeOptions): RgbImage;
export function resizeLikePillow(input: ImageMask, options: PillowResizeOptions): ImageMask;
export function resizeLikePillow(
  input: Tensor<'float32'>,
  options: PillowResizeOptions,
): Tensor<'float32'>;
export function resizeLikePillow(input: Resizable, options: PillowResizeOptions): Resizable;
export function resizeLikePillow(input: Resizable, options: PillowResizeOptions): Resizable {
  assertTargetSize('resizeLikePillow', options);
  const filter = options.filter ?? 'bicubic';
  if (!Object.hasOwn(kernels, filter)) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `resizeLikePillow: unknown filter ${describeValue(filter)}.`,
      `Use one of ${Object.keys(kernels).join(', ')}.`,
    );
  }
  const layout = layoutOf('resizeLikePillow', input);
  const { width, height } = layout.stack;
  const horizontal = options.width === width ? null : pillowAxisPlan(width, options.width, filter);
  const vertical = options.height === height ? null : pillowAxisPlan(height, options.height, filter);
  if (layout.kind === 'rgb') {
    const bytes = resampleUint8LikePillow(input.data as Uint8Array, layout.stack, horizontal, vertical);
    return rebuild(layout, options, bytes);
  }
  const values = resampleFloat(input.data as Float32Array, layout.stack, horizontal, vertical);
  if (layout.kind === 'mask') clampUnit(values);
  return rebuild(layout, options, values);
}
