/**
 * The engine behind every resize in this folder: a 2-D resample done as two 1-D passes
 * (horizontal first, then vertical, the order Pillow uses), each driven by a precomputed
 * {@link AxisPlan}. Filters differ only in how they build their plans.
 *
 * Internal module: the public entry points are `interpolate` and `resizeLikePillow`.
 */

/**
 * Source indices and weights for one axis: output sample `o` is
 * `Σ_k weights[o·taps + k] · input[indices[o·taps + k]]`. Unused taps carry weight 0 and a
 * valid index, so loops never branch.
 */
export interface AxisPlan {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly taps: number;
  readonly indices: Int32Array;
  readonly weights: Float64Array;
}

/**
 * How samples of a stack of 2-D planes sit in a flat buffer: `planar` is NCHW (each plane
 * contiguous), `interleaved` is HWC (an {@link RgbImage}: channels adjacent).
 */
export interface PlaneStack {
  readonly planes: number;
  readonly width: number;
  readonly height: number;
  readonly interleaved: boolean;
}

/** Fixed-point fraction bits of Pillow's 8-bit resampler (libImaging/Resample.c). */
const PILLOW_PRECISION_BITS = 32 - 8 - 2;
const PILLOW_ONE = 2 ** PILLOW_PRECISION_BITS;
const PILLOW_HALF = 2 ** (PILLOW_PRECISION_BITS - 1);

/**
 * Float resample: `horizontal` / `vertical` may be null to leave that axis alone. Accumulates in
 * float64 and stores float32, like Pillow's "F" mode (and within ~1e-7 of PyTorch's float32).
 * Interleaved stacks must have 3 planes (RGB).
 */
export function resampleFloat(
  input: Float32Array | Uint8Array,
  stack: PlaneStack,
  horizontal: AxisPlan | null,
  vertical: AxisPlan | null,
): Float32Array {
  const { planes, width, height, interleaved } = stack;
  // One element type through the hot loops keeps them monomorphic.
  let current = input instanceof Float32Array ? input : Float32Array.from(input);
  let currentWidth = width;
  if (horizontal !== null) {
    const output = new Float32Array(planes * horizontal.outputSize * height);
    if (interleaved) horizontalInterleavedFloat(current, output, horizontal, height, width);
    else horizontalPlanarFloat(current, output, horizontal, planes * height, width);
    current = output;
    currentWidth = horizontal.outputSize;
  }
  if (vertical !== null) {
    const output = new Float32Array(planes * currentWidth * vertical.outputSize);
    // The vertical pass never mixes columns or channels: an interleaved image is one plane whose
    // rows are width·3 samples long.
    if (interleaved) vertical1dFloat(current, output, vertical, 1, currentWidth * planes);
    else vertical1dFloat(current, output, vertical, planes, currentWidth);
    current = output;
  }
  return current === input ? input.slice() : current;
}

/**
 * Pillow's 8-bit resample, bit for bit: weights rounded to 22-bit fixed point (away from zero),
 * `+½` bias, arithmetic shift, clip to [0, 255] after each pass, uint8 intermediate image.
 */
export function resampleUint8LikePillow(
  input: Uint8Array,
  stack: PlaneStack,
  horizontal: AxisPlan | null,
  vertical: AxisPlan | null,
): Uint8Array {
  const { planes, width, height, interleaved } = stack;
  let current = input;
  let currentWidth = width;
  if (horizontal !== null) {
    const output = new Uint8Array(planes * horizontal.outputSize * height);
    const fixed = toPillowFixedPoint(horizontal);
    if (interleaved) horizontalInterleavedFixed(current, output, fixed, height, width);
    else horizontalPlanarFixed(current, output, fixed, planes * height, width);
    current = output;
    currentWidth = horizontal.outputSize;
  }
  if (vertical !== null) {
    const output = new Uint8Array(planes * currentWidth * vertical.outputSize);
    const fixed = toPillowFixedPoint(vertical);
    if (interleaved) vertical1dFixed(current, output, fixed, 1, currentWidth * planes);
    else vertical1dFixed(current, output, fixed, planes, currentWidth);
    current = output;
  }
  return current === input ? input.slice() : current;
}

// Each pass exists twice, for float32 and for Pillow's fixed point on bytes, so that every hot
// loop sees a single array type and stays monomorphic.

/** Rows of `rowLength` samples, `rows` of them back to back (planar stacks). */
function horizontalPlanarFloat(
  input: Float32Array,
  output: Float32Array,
  plan: AxisPlan,
  rows: number,
  rowLength: number,
): void {
  const { taps, indices, weights, outputSize } = plan;
  for (let r = 0; r < rows; r++) {
    const sourceRow = r * rowLength;
    const targetRow = r * outputSize;
    for (let x = 0, t = 0; x < outputSize; x++, t += taps) {
      let sum = 0;
      for (let k = 0; k < taps; k++) sum += weights[t + k]! * input[sourceRow + indices[t + k]!]!;
      output[targetRow + x] = sum;
    }
  }
}

/** RGB pixels (3 interleaved channels), `rows` rows of `width` pixels. */
function horizontalInterleavedFloat(
  input: Float32Array,
  output: Float32Array,
  plan: AxisPlan,
  rows: number,
  width: number,
): void {
  const { taps, indices, weights, outputSize } = plan;
  for (let r = 0; r < rows; r++) {
    const sourceRow = r * width * 3;
    let target = r * outputSize * 3;
    for (let x = 0, t = 0; x < outputSize; x++, t += taps) {
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let k = 0; k < taps; k++) {
        const weight = weights[t + k]!;
        const source = sourceRow + indices[t + k]! * 3;
        red += weight * input[source]!;
        green += weight * input[source + 1]!;
        blue += weight * input[source + 2]!;
      }
      output[target++] = red;
      output[target++] = green;
      output[target++] = blue;
    }
  }
}

/**
 * Vertical pass over `planes` planes whose rows are `rowLength` contiguous samples: output row
 * y accumulates whole input rows, so the inner loop is contiguous. Sums go through a float64
 * row buffer (allocated once) so floats round to float32 only once, as Pillow's "F" mode does.
 */
function vertical1dFloat(
  input: Float32Array,
  output: Float32Array,
  plan: AxisPlan,
  planes: number,
  rowLength: number,
): void {
  const { taps, indices, weights, outputSize, inputSize } = plan;
  const sums = new Float64Array(rowLength);
  for (let p = 0; p < planes; p++) {
    const sourcePlane = p * inputSize * rowLength;
    const targetPlane = p * outputSize * rowLength;
    for (let y = 0, t = 0; y < outputSize; y++, t += taps) {
      sums.fill(0);
      for (let k = 0; k < taps; k++) {
        const weight = weights[t + k]!;
        if (weight === 0) continue;
        const sourceRow = sourcePlane + indices[t + k]! * rowLength;
        for (let x = 0; x < rowLength; x++) sums[x] += weight * input[sourceRow + x]!;
      }
      const targetRow = targetPlane + y * rowLength;
      for (let x = 0; x < rowLength; x++) output[targetRow + x] = sums[x]!;
    }
  }
}

/** Rows of `rowLength` samples, `rows` of them back to back (planar stacks). */
function horizontalPlanarFixed(
  input: Uint8Array,
  output: Uint8Array,
  plan: AxisPlan,
  rows: number,
  rowLength: number,
): void {
  const { taps, indices, weights, outputSize } = plan;
  const bias = PILLOW_HALF;
  for (let r = 0; r < rows; r++) {
    const sourceRow = r * rowLength;
    const targetRow = r * outputSize;
    for (let x = 0, t = 0; x < outputSize; x++, t += taps) {
      let sum = bias;
      for (let k = 0; k < taps; k++) sum += weights[t + k]! * input[sourceRow + indices[t + k]!]!;
      output[targetRow + x] = clipFixedPoint(sum);
    }
  }
}

/** RGB pixels (3 interleaved channels), `rows` rows of `width` pixels. */
function horizontalInterleavedFixed(
  input: Uint8Array,
  output: Uint8Array,
  plan: AxisPlan,
  rows: number,
  width: number,
): void {
  const { taps, indices, weights, outputSize } = plan;
  const bias = PILLOW_HALF;
  for (let r = 0; r < rows; r++) {
    const sourceRow = r * width * 3;
    let target = r * outputSize * 3;
    for (let x = 0, t = 0; x < outputSize; x++, t += taps) {
      let red = bias;
      let green = bias;
      let blue = bias;
      for (let k = 0; k < taps; k++) {
        const weight = weights[t + k]!;
        const source = sourceRow + indices[t + k]! * 3;
        red += weight * input[source]!;
        green += weight * input[source + 1]!;
        blue += weight * input[source + 2]!;
      }
      output[target++] = clipFixedPoint(red);
      output[target++] = clipFixedPoint(green);
      output[target++] = clipFixedPoint(blue);
    }
  }
}

/**
 * Vertical pass over `planes` planes whose rows are `rowLength` contiguous samples: output row
 * y accumulates whole input rows, so the inner loop is contiguous. Sums go through a float64
 * row buffer (allocated once) so floats round to float32 only once, as Pillow's "F" mode does.
 */
function vertical1dFixed(
  input: Uint8Array,
  output: Uint8Array,
  plan: AxisPlan,
  planes: number,
  rowLength: number,
): void {
  const { taps, indices, weights, outputSize, inputSize } = plan;
  const bias = PILLOW_HALF;
  const sums = new Float64Array(rowLength);
  for (let p = 0; p < planes; p++) {
    const sourcePlane = p * inputSize * rowLength;
    const targetPlane = p * outputSize * rowLength;
    for (let y = 0, t = 0; y < outputSize; y++, t += taps) {
      sums.fill(bias);
      for (let k = 0; k < taps; k++) {
        const weight = weights[t + k]!;
        if (weight === 0) continue;
        const sourceRow = sourcePlane + indices[t + k]! * rowLength;
        for (let x = 0; x < rowLength; x++) sums[x] += weight * input[sourceRow + x]!;
      }
      const targetRow = targetPlane + y * rowLength;
      for (let x = 0; x < rowLength; x++) output[targetRow + x] = clipFixedPoint(sums[x]!);
    }
  }
}

/**
 * `normalize_coeffs_8bpc`: C's `(int)(±0.5 + w · 2²²)`, i.e. round half away from zero. The
 * integer weights are kept in a Float64Array (exact) so both passes share one loop body; sums
 * stay below 2³¹ as in Pillow's int32 arithmetic.
 */
function toPillowFixedPoint(plan: AxisPlan): AxisPlan {
  const weights = new Float64Array(plan.weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = plan.weights[i]!;
    weights[i] = Math.trunc(w < 0 ? -0.5 + w * PILLOW_ONE : 0.5 + w * PILLOW_ONE);
  }
  return { ...plan, weights };
}

/** `clip8`: arithmetic shift right (floor), then clamp to a byte. */
function clipFixedPoint(sum: number): number {
  const value = Math.floor(sum / PILLOW_ONE);
  return value < 0 ? 0 : value > 255 ? 255 : value;
}
