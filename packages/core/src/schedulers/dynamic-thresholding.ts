import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';

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
    throw new KandinskyError({
      code,
      message: `${what} must be a number in (0, 1], got ${describeValue(value)}.`,
      hint: 'Use e.g. 0.99 (text-to-image) or 0.95 (inpainting); it is a fraction, not a percent.',
      details: { [what]: value },
    });
  }
}

/**
 * `torch.quantile(values, q)` with linear interpolation (spec §3.9: sort-based, index q·(n−1)),
 * reproducing PyTorch's float32 arithmetic: the rank `q·(n−1)` and the interpolation weight are
 * float32 and the blend is `torch.lerp`. `values` is reordered in place (selection, not a full
 * sort), so pass a scratch copy.
 */
export function quantileLinear(values: Float32Array, q: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const { below, weight } = quantileRank(q, n);
  const low = selectKth(values, below);
  if (weight === 0 || below + 1 >= n) return low;
  // After selecting index `below`, everything right of it is ≥ low: the next order statistic is
  // their minimum.
  let high = Number.POSITIVE_INFINITY;
  for (let i = below + 1; i < n; i++) if (values[i] < high) high = values[i];
  return interpolate(low, high, weight);
}

/** The float32 rank q·(n−1) as torch computes it: its integer part and fractional weight. */
function quantileRank(q: number, n: number): { below: number; weight: number } {
  const rank = f32(f32(q) * (n - 1));
  const below = Math.floor(rank);
  return { below, weight: f32(rank - below) };
}

/** torch.lerp's two-sided formula (exact at both ends). */
function interpolate(low: number, high: number, weight: number): number {
  return weight < 0.5
    ? f32(low + f32(weight * f32(high - low)))
    : f32(high - f32(f32(high - low) * f32(1 - weight)));
}

// Bucket pre-pass of the per-sample quantile. The bit pattern of a non-negative float32, read as
// an integer, orders like its value, so the top 12 of the 31 bits of |x| (exponent and 4 mantissa
// bits) sort the elements into 4096 ordered buckets in one counting pass; only the bucket holding
// the wanted rank (a few % of a latent) is then copied out and selected exactly.
const BUCKET_SHIFT = 19;
const BUCKET_COUNT = 1 << 12;
/** From +Infinity's bucket up: Inf and NaN, left to the plain path (whose NaN order is its own). */
const NON_FINITE_BUCKET = 0x7f800000 >>> BUCKET_SHIFT;
/** Below this many elements per sample the plain quickselect is as fast. */
const BUCKETED_MIN_SIZE = 2048;
// Shared: thresholding is synchronous and never re-entrant.
const bucketCounts = new Int32Array(BUCKET_COUNT);

/**
 * `quantileLinear(|data[start, start + size)|, q)` without copying all of |x|: the same order
 * statistics and interpolation, so the same bits. Returns undefined when the slice holds an
 * infinity or NaN (the caller then takes the plain path).
 */
function absoluteQuantileBucketed(data: Float32Array, start: number, size: number, q: number, work: Float32Array): number | undefined {
  const { below, weight } = quantileRank(q, size);
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  const end = start + size;
  const counts = bucketCounts;
  counts.fill(0);
  for (let i = start; i < end; i++) counts[(bits[i]! & 0x7fffffff) >>> BUCKET_SHIFT]!++;
  for (let bucket = NON_FINITE_BUCKET; bucket < BUCKET_COUNT; bucket++) if (counts[bucket] !== 0) return undefined;
  let bucket = 0;
  let before = 0;
  while (before + counts[bucket]! <= below) before += counts[bucket++]!;
  let count = 0;
  for (let i = start; i < end; i++) {
    if ((bits[i]! & 0x7fffffff) >>> BUCKET_SHIFT === bucket) work[count++] = Math.abs(data[i]!);
  }
  const candidates = work.subarray(0, count);
  const local = below - before;
  const low = selectKth(candidates, local);
  if (weight === 0 || below + 1 >= size) return low;
  let high = Number.POSITIVE_INFINITY;
  if (local + 1 < count) {
    for (let i = local + 1; i < count; i++) if (candidates[i]! < high) high = candidates[i]!;
  } else {
    // The next order statistic is the smallest element of the next non-empty bucket.
    let next = bucket + 1;
    while (counts[next] === 0) next++;
    for (let i = start; i < end; i++) {
      if ((bits[i]! & 0x7fffffff) >>> BUCKET_SHIFT === next && Math.abs(data[i]!) < high) high = Math.abs(data[i]!);
    }
  }
  return interpolate(low, high, weight);
}

/**
 * Dynamic thresholding applied per sample in place (Imagen; spec §3.2 step 2 and diffusers'
 * `_threshold_sample`): for each of the `batch` equal slices of `data`,
 * `s = clamp(quantile_p(|x|), 1, maxValue)`, then `x ← clamp(x, −s, s) / s`.
 * `maxValue = Infinity` gives the original Kandinsky rule (floor 1, no ceiling).
 *
 * @param scratch - optional reusable buffer of at least `data.length / batch` elements.
 */
export function thresholdPerSample(
  data: Float32Array,
  batch: number,
  percentile: number,
  maxValue: number,
  scratch?: Float32Array,
): void {
  const size = data.length / batch;
  const work = scratch !== undefined && scratch.length >= size ? scratch.subarray(0, size) : new Float32Array(size);
  for (let b = 0; b < batch; b++) {
    const start = b * size;
    let quantile = size >= BUCKETED_MIN_SIZE ? absoluteQuantileBucketed(data, start, size, percentile, work) : undefined;
    if (quantile === undefined) {
      for (let i = 0; i < size; i++) work[i] = Math.abs(data[start + i]);
      quantile = quantileLinear(work, percentile);
    }
    const s = f32(Math.min(Math.max(quantile, 1), maxValue));
    for (let i = start; i < start + size; i++) {
      const v = data[i];
      data[i] = (v > s ? s : v < -s ? -s : v) / s;
    }
  }
}

/** Clamps every element to [−1, 1] in place (the `percentile = null` branch of spec §3.2). */
export function clipUnit(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > 1) data[i] = 1;
    else if (v < -1) data[i] = -1;
  }
}

/** Moves the k-th smallest element of `values` to index k (Hoare-style quickselect). */
function selectKth(values: Float32Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = medianOfThree(values[left], values[(left + right) >> 1], values[right]);
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k];
}

function medianOfThree(a: number, b: number, c: number): number {
  return a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
}
