import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ImageMask } from './image-mask.js';
import {
  assertTargetSize,
  clampUnit,
  floatToBytes,
  layoutOf,
  rebuild,
  type Resizable,
  type TargetSize,
} from './resizable.js';
import type { RgbImage } from './rgb-image.js';
import { resampleFloat, type AxisPlan } from './separable-resample.js';

/** `F.interpolate` modes this module reproduces (no antialias). */
export type InterpolationMode = 'bilinear' | 'bicubic' | 'nearest';

/** Options of {@link interpolate}. */
export interface InterpolateOptions extends TargetSize {
  /** Which PyTorch filter to reproduce. */
  readonly mode: InterpolationMode;
  /**
   * PyTorch's `align_corners`: `false` maps pixel centres (`src = (dst + ½)·in/out − ½`),
   * `true` maps the corner pixels onto each other (`src = dst·(in − 1)/(out − 1)`). Only for
   * `bilinear` and `bicubic`. KandiSuperRes uses `false` for the LR→HR conditioning and `true`
   * for the final size fix-up (spec §4.8.1).
   * @default false
   */
  readonly alignCorners?: boolean;
}

// ATen UpSample.h, get_cubic_upsample_coefficients: PyTorch's bicubic uses a = -0.75.
const TORCH_BICUBIC_A = -0.75;

const f32 = Math.fround;

/** `area_pixel_compute_scale` in float32, as ATen computes it for float tensors. */
function areaPixelScale(inputSize: number, outputSize: number, alignCorners: boolean): number {
  if (alignCorners) return outputSize > 1 ? f32((inputSize - 1) / (outputSize - 1)) : 0;
  return f32(inputSize / outputSize);
}

/**
 * `area_pixel_compute_source_index`: the float32 scale times `dst` (or `dst + ½`, minus ½),
 * evaluated in float64 without rounding back to float32 — measured against torch 1.13 this
 * reproduces its bilinear output to ~3e-8, where float32 source indices are off by ~4e-6.
 * Clamped at 0 except for cubic.
 */
function sourceIndex(scale: number, output: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return scale * output;
  const source = scale * (output + 0.5) - 0.5;
  return !cubic && source < 0 ? 0 : source;
}

/** Plan of `upsample_bilinear2d` along one axis (`compute_indices_weights_linear`). */
export function bilinearAxisPlan(
  inputSize: number,
  outputSize: number,
  alignCorners: boolean,
): AxisPlan {
  const indices = new Int32Array(outputSize * 2);
  const weights = new Float64Array(outputSize * 2);
  const scale = areaPixelScale(inputSize, outputSize, alignCorners);
  for (let o = 0; o < outputSize; o++) {
    const source = sourceIndex(scale, o, alignCorners, false);
    const first = Math.trunc(source);
    const lambda = Math.min(Math.max(source - first, 0), 1);
    const next = first < inputSize - 1 ? first + 1 : first;
    indices[2 * o] = first;
    indices[2 * o + 1] = next;
    weights[2 * o] = 1 - lambda;
    weights[2 * o + 1] = lambda;
  }
  return { inputSize, outputSize, taps: 2, indices, weights };
}

function cubicInner(x: number): number {
  const a = TORCH_BICUBIC_A;
  return ((a + 2) * x - (a + 3)) * x * x + 1;
}

function cubicOuter(x: number): number {
  const a = TORCH_BICUBIC_A;
  return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

/**
 * Plan of `upsample_bicubic2d` along one axis: four taps around `floor(src)`, indices clamped to
 * the border (replicate), Keys kernel with a = −0.75, no antialias even when shrinking.
 */
export function bicubicAxisPlan(
  inputSize: number,
  outputSize: number,
  alignCorners: boolean,
): AxisPlan {
  const indices = new Int32Array(outputSize * 4);
  const weights = new Float64Array(outputSize * 4);
  const scale = areaPixelScale(inputSize, outputSize, alignCorners);
  const last = inputSize - 1;
  for (let o = 0; o < outputSize; o++) {
    const source = sourceIndex(scale, o, alignCorners, true);
    const floor = Math.floor(source);
    const t = source - floor;
    const base = 4 * o;
    weights[base] = cubicOuter(t + 1);
    weights[base + 1] = cubicInner(t);
    weights[base + 2] = cubicInner(1 - t);
    weights[base + 3] = cubicOuter(2 - t);
    for (let k = 0; k < 4; k++) {
      indices[base + k] = Math.min(Math.max(floor - 1 + k, 0), last);
    }
  }
  return { inputSize, outputSize, taps: 4, indices, weights };
}

/**
 * Plan of `upsample_nearest2d` (PyTorch 1.13 `nearest_idx`): identity for equal sizes, `o >> 1`
 * for exactly twice the size, otherwise `min(floorf(o · scale), in − 1)` with `scale = in/out`
 * and the product both in float32, which is what makes e.g. 100 → 37 pick the indices it does.
 */
export function nearestAxisPlan(inputSize: number, outputSize: number): AxisPlan {
  const indices = new Int32Array(outputSize);
  const weights = new Float64Array(outputSize).fill(1);
  const scale = f32(inputSize / outputSize);
  for (let o = 0; o < outputSize; o++) {
    if (outputSize === inputSize) indices[o] = o;
    else if (outputSize === 2 * inputSize) indices[o] = o >> 1;
    else indices[o] = Math.min(Math.floor(f32(o * scale)), inputSize - 1);
  }
  return { inputSize, outputSize, taps: 1, indices, weights };
}

function axisPlan(
  mode: InterpolationMode,
  inputSize: number,
  outputSize: number,
  alignCorners: boolean,
): AxisPlan | null {
  // Every mode is the identity on an unchanged axis (weights 1 and 0 exactly): skip the pass.
  if (inputSize === outputSize) return null;
  if (mode === 'bilinear') return bilinearAxisPlan(inputSize, outputSize, alignCorners);
  if (mode === 'bicubic') return bicubicAxisPlan(inputSize, outputSize, alignCorners);
  return nearestAxisPlan(inputSize, outputSize);
}

/**
 * Resizes like PyTorch's `F.interpolate(x, size=(height, width), mode, align_corners)` (torch
 * 1.13 CPU, no antialias), separably with precomputed indices and weights.
 *
 * - float32 tensor `[..., H, W]`: float result, within ~1e-6 of PyTorch's float32 result.
 * - {@link RgbImage}: computed on the byte values as floats, then rounded half up and clamped to
 *   [0, 255] (PyTorch has no uint8 bilinear/bicubic here; nearest is exact).
 * - {@link ImageMask}: float result clamped to [0, 1] (bicubic overshoots).
 *
 * When shrinking, `bilinear` without `alignCorners` also equals scikit-image's
 * `resize(order=1, anti_aliasing=False)` (`ndi.zoom` with `grid_mode=True`, same pixel-centre
 * mapping, its mirror border never reached), which the inpainting pipeline uses for the mask
 * (spec §4.5). When enlarging they differ in the outermost half pixel: scikit-image mirrors,
 * PyTorch clamps.
 *
 * @throws KandinskyError INVALID_ARGUMENT for a target size that is not two integers ≥ 1, an
 *   unknown mode, or `alignCorners: true` with `nearest` (PyTorch rejects it too);
 *   INVALID_IMAGE / SHAPE_MISMATCH / DTYPE_MISMATCH for a malformed input.
 */
export function interpolate(input: RgbImage, options: InterpolateOptions): RgbImage;
export function interpolate(input: ImageMask, options: InterpolateOptions): ImageMask;
export function interpolate(input: Tensor<'float32'>, options: InterpolateOptions): Tensor<'float32'>;
export function interpolate(input: Resizable, options: InterpolateOptions): Resizable;
export function interpolate(input: Resizable, options: InterpolateOptions): Resizable {
  assertTargetSize('interpolate', options);
  const { mode } = options;
  if (mode !== 'bilinear' && mode !== 'bicubic' && mode !== 'nearest') {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `interpolate: unknown mode ${describeValue(mode)}.`,
      "Use 'bilinear', 'bicubic' or 'nearest' (for Pillow's filters use resizeLikePillow).",
    );
  }
  const alignCorners = options.alignCorners ?? false;
  if (typeof alignCorners !== 'boolean' || (alignCorners && mode === 'nearest')) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `interpolate: alignCorners ${describeValue(alignCorners)} is not valid with mode ${describeValue(mode)}.`,
      "alignCorners is a boolean and only applies to 'bilinear' and 'bicubic'.",
    );
  }
  const layout = layoutOf('interpolate', input);
  const { width, height } = layout.stack;
  const horizontal = axisPlan(mode, width, options.width, alignCorners);
  const vertical = axisPlan(mode, height, options.height, alignCorners);
  const values = resampleFloat(input.data, layout.stack, horizontal, vertical);
  if (layout.kind === 'rgb') return rebuild(layout, options, floatToBytes(values));
  if (layout.kind === 'mask') clampUnit(values);
  return rebuild(layout, options, values);
}
