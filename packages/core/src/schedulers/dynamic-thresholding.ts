import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';

const f32 = Math.fround;

/**
 * Checks a thresholding percentile: a number in (0, 1]. `what` names the option in the message.
 * Throws INVALID_ARGUMENT (or `code`) otherwise.
 */
export function assertPercentile(
  what: string,
  value: unknown,
  code: 'INVALID_ARGUMENT' | 'INVALID_SCHEDULER_CONFIG' = 'INVALID_ARGUMENT',
): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw kandinskyError(
      code,
      `${what} must be a number in (0, 1], got ${describeValue(value)}.`,
      'Use e.g. 0.99 (text-to-image) or 0.95 (inpainting); it is a fraction, not a percent.',
      { [what]: value },
    );
  }
}

/**
 * `torch.quantile(values, q)` with linear interpolation (spec §3.9: sort-based, index q·(n−1)),
 * reproducing PyTorch's float32 arithmetic: the rank `q·(n−1)` and the interpolation weight are
 * float32 and the blend is `torch.lerp`. `values` is reordered in place (a quickselect instead of
 * a full sort: the same two order statistics), so pass a copy.
 */
export function quantileLinear(values: Float32Array, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const rank = f32(f32(q) * (n - 1));
  const below = Math.floor(rank);
  const weight = f32(rank - below);
  return quantileOf(values, below, weight, weight === 0 || below + 1 >= n);
}

/** The order statistic `below` of `values`, interpolated towards the next one by `weight`. */
function quantileOf(values: Float32Array, below: number, weight: number, exact: boolean): number {
  const low = selectKth(values, below);
  if (exact) return low;
  // After the selection everything right of `below` is ≥ low: the next order statistic is their
  // minimum.
  let high = Number.POSITIVE_INFINITY;
  for (let i = below + 1; i < values.length; i++) if (values[i]! < high) high = values[i]!;
  return lerp(low, high, weight);
}

/** torch.lerp's two-sided formula (exact at both ends). */
function lerp(low: number, high: number, weight: number): number {
  return weight < 0.5
    ? f32(low + f32(weight * f32(high - low)))
    : f32(high - f32(f32(high - low) * f32(1 - weight)));
}

/**
 * The thresholding scale `s = f32(clamp(quantile_q(|x|), 1, maxValue))` of one sample (spec §3.2
 * step 2; diffusers' `_threshold_sample`). `data` is left unchanged.
 *
 * Only the magnitudes above 1 are selected among: the floor makes every quantile ≤ 1 give s = 1,
 * and the order statistics above 1 are exactly the top ranks of those values. The largest
 * magnitude ≤ 1 is looked up for a quantile that interpolates across 1. Exact; a pass over the
 * sample plus a quickselect over the (usually few) magnitudes above 1.
 */
export function thresholdScale(data: Float32Array, q: number, maxValue: number): number {
  const n = data.length;
  if (n === 0) return f32(Math.min(Math.max(Number.NaN, 1), maxValue));
  // Branch-free: every magnitude is written, and the write position moves on only past one > 1.
  const above = new Float32Array(n + 1);
  let count = 0;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const magnitude = Math.abs(data[i]!);
    above[count] = magnitude;
    count += magnitude > 1 ? 1 : 0;
    nan ||= magnitude !== magnitude;
  }
  // NaN orders differently in torch and in a quickselect: take every magnitude, like the plain rule.
  if (nan) return scaleOf(quantileLinear(Float32Array.from(data, Math.abs), q), maxValue);
  const rank = f32(f32(q) * (n - 1));
  const below = Math.floor(rank);
  const weight = f32(rank - below);
  const top = weight === 0 || below + 1 >= n ? below : below + 1;
  const first = n - count; // the rank of the smallest magnitude above 1
  if (top < first) return scaleOf(0, maxValue); // both order statistics ≤ 1: s is the floor
  const candidates = above.subarray(0, count);
  if (below >= first) return scaleOf(quantileOf(candidates, below - first, weight, top === below), maxValue);
  // `below` is the largest magnitude ≤ 1 and `top` the smallest above 1.
  let largestAtMostOne = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const magnitude = Math.abs(data[i]!);
    if (magnitude <= 1 && magnitude > largestAtMostOne) largestAtMostOne = magnitude;
  }
  let smallestAbove = Number.POSITIVE_INFINITY;
  for (let i = 0; i < count; i++) if (candidates[i]! < smallestAbove) smallestAbove = candidates[i]!;
  return scaleOf(lerp(largestAtMostOne, smallestAbove, weight), maxValue);
}

/** `f32(clamp(quantile, 1, maxValue))`. */
function scaleOf(quantile: number, maxValue: number): number {
  return f32(Math.min(Math.max(quantile, 1), maxValue));
}

/** `x ← f32(clamp(x, −s, s) / s)` in place. */
export function applyThresholdScale(data: Float32Array, s: number): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    data[i] = (v > s ? s : v < -s ? -s : v) / s;
  }
}

/**
 * Dynamic thresholding applied per sample in place (Imagen; spec §3.2 step 2 and diffusers'
 * `_threshold_sample`): for each of the `batch` equal slices of `data`,
 * `s = clamp(quantile_q(|x|), 1, maxValue)`, then `x ← clamp(x, −s, s) / s`.
 * `maxValue = Infinity` gives the original Kandinsky rule (floor 1, no ceiling).
 */
export function thresholdPerSample(data: Float32Array, batch: number, percentile: number, maxValue: number): void {
  const size = data.length / batch;
  for (let b = 0; b < batch; b++) {
    const sample = data.subarray(b * size, (b + 1) * size);
    applyThresholdScale(sample, thresholdScale(sample, percentile, maxValue));
  }
}

/** Moves the k-th smallest element of `values` to index k (Hoare-style quickselect). */
function selectKth(values: Float32Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = medianOfThree(values[left]!, values[(left + right) >> 1]!, values[right]!);
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}

function medianOfThree(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
