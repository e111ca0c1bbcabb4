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
 * Up to this many largest magnitudes are kept in a heap by {@link thresholdScale}: a high
 * percentile (0.99 or 0.95 of a latent, spec §3.2) needs only those.
 */
const LARGEST_KEPT_MAX = 4096;

/**
 * The thresholding scale `s = f32(clamp(quantile_q(|x|), 1, maxValue))` of one sample (spec §3.2
 * step 2; diffusers' `_threshold_sample`). `data` is left unchanged.
 *
 * The quantile's order statistics are the `n − ⌊q·(n−1)⌋` largest magnitudes' smallest two: for a
 * high percentile they are taken from a min-heap of those largest (one pass, no copy), otherwise by
 * a quickselect over a copy. Both are exact; a NaN takes the quickselect, as torch orders NaN its
 * own way.
 */
export function thresholdScale(data: Float32Array, q: number, maxValue: number): number {
  const n = data.length;
  const rank = f32(f32(q) * (n - 1));
  const below = Math.floor(rank);
  const weight = f32(rank - below);
  const kept = n - below;
  const largest = n > 0 && kept <= LARGEST_KEPT_MAX ? largestMagnitudes(data, kept) : null;
  let quantile: number;
  if (largest === null) {
    const magnitudes = new Float32Array(n);
    for (let i = 0; i < n; i++) magnitudes[i] = Math.abs(data[i]!);
    quantile = quantileLinear(magnitudes, q);
  } else if (weight === 0 || kept === 1) {
    quantile = largest[0]!;
  } else {
    // The heap's root is the order statistic `below`; the next one is the smaller of its children.
    quantile = lerp(largest[0]!, kept === 2 ? largest[1]! : Math.min(largest[1]!, largest[2]!), weight);
  }
  return f32(Math.min(Math.max(quantile, 1), maxValue));
}

/** The `kept` largest |x| of `data` as a min-heap (root: the smallest of them), or null on a NaN. */
function largestMagnitudes(data: Float32Array, kept: number): Float64Array | null {
  const heap = new Float64Array(kept).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < data.length; i++) {
    const magnitude = Math.abs(data[i]!);
    if (magnitude > heap[0]!) replaceRoot(heap, magnitude);
    else if (magnitude !== magnitude) return null;
  }
  return heap;
}

/** Puts `value` at the root of the min-heap and sifts it down to its place. */
function replaceRoot(heap: Float64Array, value: number): void {
  const size = heap.length;
  let index = 0;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && heap[right]! < heap[left]! ? right : left;
    if (heap[child]! >= value) break;
    heap[index] = heap[child]!;
    index = child;
  }
  heap[index] = value;
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
