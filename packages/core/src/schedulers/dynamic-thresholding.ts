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
  return interpolate(low, minimumOf(values, below + 1, n), weight);
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
//
// Every pass over the data is a "kernel": a small function holding one loop over whole arrays of
// equal length, `for (let i = 0; i < n; i++)` with `n = a.length` and the other lengths checked
// equal first, and its float parameters unboxed once with unary +. Measured in the pipeline at
// 1024² (Node 20): loops bounded by a parameter kept a bounds check per access and ran 1.3–1.8×
// slower, with a speed that changed from process to process; a float parameter read inside the
// loop was re-checked on every iteration (2–3× slower); and code after a long loop in the same
// function, compiled before it first ran (on-stack replacement), deoptimised on every call.
// Slices of a batch are passed as subarray views.
const BUCKET_SHIFT = 19;
const BUCKET_COUNT = 1 << 12;
/** From +Infinity's bucket up: Inf and NaN, left to the plain path (whose NaN order is its own). */
const NON_FINITE_BUCKET = 0x7f800000 >>> BUCKET_SHIFT;
/** The bucket of 1.0, [1, 1.0625): every bucket below it holds only values < 1. */
const ONE_BUCKET = 0x3f800000 >>> BUCKET_SHIFT;
/** From this many elements per sample on, the bucket pass pays (below, plain quickselect). */
const BUCKETED_MIN_SIZE = 2048;
// Shared: thresholding is synchronous and never re-entrant.
const bucketCounts = new Int32Array(BUCKET_COUNT);

/**
 * Throws SHAPE_MISMATCH unless `a`, `b` (and `c`, `d` when given) all have `n` elements: a
 * kernel's precondition. (Fixed arity: a rest parameter allocated an array per call.)
 */
export function assertSameLength(n: number, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number> = a, d: ArrayLike<number> = a): void {
  if (a.length === n && b.length === n && c.length === n && d.length === n) return;
  throw new KandinskyError({
    code: 'SHAPE_MISMATCH',
    message: `Arrays of ${[a, b, c, d].map((array) => array.length).join(', ')} elements were combined element by element (expected ${n}).`,
    hint: "Each tensor's data must hold exactly as many elements as its dims say.",
  });
}

/** `f32(clamp(quantile, 1, maxValue))`: the scale s of spec §3.2 and diffusers' `_threshold_sample`. */
function scaleOf(quantile: number, maxValue: number): number {
  return f32(Math.min(Math.max(quantile, 1), maxValue));
}

/**
 * The order statistic the quantile's interpolation ends at: `below + 1`, or `below` itself when
 * the weight is 0 (or `below` is the last index). The quantile is never above it: torch.lerp
 * between two values ≤ v stays ≤ v in float32 (its two-sided formula never overshoots `high`).
 */
function topRank(below: number, weight: number, n: number): number {
  return weight === 0 || below + 1 >= n ? below : below + 1;
}

/** The float32 patterns of `data` as int32 (same memory). */
function bitsOf(data: Float32Array): Int32Array {
  return new Int32Array(data.buffer, data.byteOffset, data.length);
}

/** Kernel: `counts[bucket of |x|]++` for every element (`bits`: float32 patterns as int32). */
function countBuckets(bits: Int32Array, counts: Int32Array): void {
  const n = bits.length;
  for (let i = 0; i < n; i++) counts[(bits[i]! & 0x7fffffff) >>> BUCKET_SHIFT]!++;
}

/** Kernel: whether any count from `first` on is non-zero. */
function anyCounted(counts: Int32Array, first: number): boolean {
  const n = counts.length;
  let any = 0;
  for (let bucket = first; bucket < n; bucket++) any |= counts[bucket]!;
  return any !== 0;
}

/** Kernel: copies |x| of the elements in `bucket` to the start of `work`; returns how many. */
function collectBucket(bits: Int32Array, data: Float32Array, bucket: number, work: Float32Array): number {
  const n = data.length;
  assertSameLength(n, bits, data);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if ((bits[i]! & 0x7fffffff) >>> BUCKET_SHIFT === bucket) work[count++] = Math.abs(data[i]!);
  }
  return count;
}

/** Kernel: the smallest |x| of the elements in `bucket` (+Infinity if none). */
function minimumOfBucket(bits: Int32Array, data: Float32Array, bucket: number): number {
  const n = data.length;
  assertSameLength(n, bits, data);
  let low = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if ((bits[i]! & 0x7fffffff) >>> BUCKET_SHIFT === bucket && Math.abs(data[i]!) < low) low = Math.abs(data[i]!);
  }
  return low;
}

/** Kernel: the smallest of `values[from, to)` (+Infinity if empty). */
function minimumOf(values: Float32Array, from: number, to: number): number {
  let low = Number.POSITIVE_INFINITY;
  for (let i = from; i < to; i++) if (values[i]! < low) low = values[i]!;
  return low;
}

/** At most this many of the largest |x| are kept in one pass by {@link largestMagnitudes}. */
const LARGEST_KEPT_MAX = 32;
/**
 * Scratch for the largest |x| of one sample, shared like bucketCounts (thresholding is
 * synchronous; float32 values are exact in float64).
 */
export const LARGEST_SCRATCH = new Float64Array(LARGEST_KEPT_MAX);

/**
 * How many of the largest |x| of a sample of `size` elements decide its `q`-quantile, when
 * {@link thresholdScale} takes them in one pass (a high percentile of a small sample: 4 for 0.99
 * of 256); 0 when it does not.
 */
export function largestKeptFor(size: number, q: number): number {
  if (size >= BUCKETED_MIN_SIZE) return 0;
  const kept = size - quantileRank(q, size).below;
  return kept <= LARGEST_KEPT_MAX ? kept : 0;
}

/**
 * The scale s of {@link thresholdScale} from the `largestKeptFor(size, q)` largest |x| of a NaN-free
 * sample of `size` elements, in descending order in `largest`: the same order statistics and
 * interpolation as {@link quantileLinear}, so the same bits.
 */
export function scaleFromLargest(largest: Float64Array, size: number, q: number, maxValue: number): number {
  const { below, weight } = quantileRank(q, size);
  const kept = size - below;
  // largest[kept − 1] is the order statistic `below`, largest[kept − 2] the one after it.
  const low = largest[kept - 1]!;
  const quantile = topRank(below, weight, size) === below ? low : interpolate(low, largest[kept - 2]!, weight);
  return scaleOf(quantile, maxValue);
}

/**
 * Kernel: the `kept` largest |x| of `data`, in descending order, into `largest[0, kept)` (ties
 * kept as often as they occur; −Infinity pads when `data` has fewer). Returns false, leaving
 * `largest` unspecified, when an element is NaN.
 */
function largestMagnitudes(data: Float32Array, largest: Float64Array, kept: number): boolean {
  const n = data.length;
  const last = kept - 1;
  for (let j = 0; j <= last; j++) largest[j] = Number.NEGATIVE_INFINITY;
  let smallestKept = Number.NEGATIVE_INFINITY;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const magnitude = Math.abs(data[i]!);
    nan |= magnitude !== magnitude ? 1 : 0;
    if (magnitude > smallestKept) smallestKept = keepLargest(largest, last, magnitude);
  }
  return nan === 0;
}

/**
 * Inserts `magnitude` into the descending `largest[0, last]` (dropping what falls off the end);
 * returns the smallest value now kept. For the one-pass selections (`magnitude` must exceed it).
 */
export function keepLargest(largest: Float64Array, last: number, magnitude: number): number {
  let j = last;
  while (j > 0 && largest[j - 1]! < magnitude) {
    largest[j] = largest[j - 1]!;
    j--;
  }
  largest[j] = magnitude;
  return largest[last]!;
}

/**
 * Kernel: `work[i] = |data[i]|`; returns how many exceed 1, or −1 when one is NaN.
 * `work` may be longer than `data`.
 */
function absoluteInto(work: Float32Array, data: Float32Array): number {
  const n = data.length;
  let above = 0;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const magnitude = Math.abs(data[i]!);
    work[i] = magnitude;
    above += magnitude > 1 ? 1 : 0;
    nan |= magnitude !== magnitude ? 1 : 0;
  }
  return nan === 0 ? above : -1;
}

/**
 * The thresholding scale `s = f32(clamp(quantile_p(|x|), 1, maxValue))` of `data` (one sample)
 * from its bucket `counts`: the same order statistics and
 * interpolation as {@link quantileLinear}, so the same bits. When the counts show that both order
 * statistics the quantile interpolates are < 1, so is the quantile, and s = f32(min(1, maxValue))
 * without any selection. A sample holding an infinity or NaN takes the plain path (a copy of |x|
 * and quickselect, whose NaN order is its own).
 *
 * @param work - scratch of at least `data.length` elements.
 */
function thresholdScaleFromCounts(
  data: Float32Array,
  q: number,
  maxValue: number,
  counts: Int32Array,
  work: Float32Array,
): number {
  const size = data.length;
  if (anyCounted(counts, NON_FINITE_BUCKET)) return plainScale(data, q, maxValue, work);
  const { below, weight } = quantileRank(q, size);
  let bucket = 0;
  let before = 0;
  while (before + counts[bucket]! <= below) before += counts[bucket++]!;
  const top = topRank(below, weight, size);
  // The first non-empty bucket holding rank `top` (the rank's own bucket when it holds both).
  let next = bucket;
  if (before + counts[bucket]! <= top) {
    next = bucket + 1;
    while (counts[next] === 0) next++;
  }
  // Both order statistics lie in buckets of values < 1: the quantile is < 1 and s its floor.
  if (next < ONE_BUCKET) return scaleOf(0, maxValue);
  const bits = bitsOf(data);
  const count = collectBucket(bits, data, bucket, work);
  const candidates = work.subarray(0, count);
  const local = below - before;
  const low = selectKth(candidates, local);
  if (top === below) return scaleOf(low, maxValue);
  // The next order statistic: the minimum right of the selected one, or of the next bucket.
  const high = next === bucket ? minimumOf(candidates, local + 1, count) : minimumOfBucket(bits, data, next);
  return scaleOf(interpolate(low, high, weight), maxValue);
}

// Sampled pre-pass for high percentiles (the 0.99 and 0.95 of spec §3.2). A sample of 1024
// magnitudes gives a cut T a little below the wanted quantile; one pass copies every |x| ≥ T
// (a few % of a latent) and the order statistics are selected among those: they are exactly the
// top `count` ranks, so when the quantile's rank lies among them the result is the plain path's,
// bit for bit. Otherwise (a cut above the rank: unlucky sample or adversarial data) or with a NaN,
// the bucket path runs. One pass over the data instead of two.
const SAMPLE_BLOCKS = 64;
const SAMPLE_RUN = 16;
const SAMPLES = SAMPLE_BLOCKS * SAMPLE_RUN;
/** Below this percentile the cut would copy too much of the data (0.9: ~12 %). */
const SAMPLED_MIN_PERCENTILE = 0.9;
/** From this many elements on (so the sample is at most 1/16 of the data). */
const SAMPLED_MIN_SIZE = 16 * SAMPLES;
// Shared like bucketCounts.
const sampleScratch = new Float32Array(SAMPLES);

/**
 * Kernel: `sample` filled with |x| of SAMPLE_BLOCKS runs of SAMPLE_RUN consecutive elements,
 * spread evenly over `data` (runs, not single elements far apart: a few cache lines each instead
 * of one per value, measured 2× cheaper).
 */
function sampleMagnitudes(data: Float32Array, sample: Float32Array): void {
  const stride = Math.floor(data.length / SAMPLE_BLOCKS);
  for (let block = 0; block < SAMPLE_BLOCKS; block++) {
    const from = block * stride + ((stride - SAMPLE_RUN) >> 1);
    for (let k = 0; k < SAMPLE_RUN; k++) sample[block * SAMPLE_RUN + k] = Math.abs(data[from + k]!);
  }
}

/**
 * Kernel: copies every |x| ≥ `cut` to the start of `work`; returns how many, or −1 when a value
 * is NaN.
 */
function collectAbove(data: Float32Array, cutIn: number, work: Float32Array): number {
  const cut = +cutIn;
  const n = data.length;
  let count = 0;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const magnitude = Math.abs(data[i]!);
    nan |= magnitude !== magnitude ? 1 : 0;
    if (magnitude >= cut) work[count++] = magnitude;
  }
  return nan === 0 ? count : -1;
}

/** {@link thresholdScale} through a sampled cut, or undefined when the cut does not hold the rank. */
function sampledScale(data: Float32Array, q: number, maxValue: number, work: Float32Array): number | undefined {
  const n = data.length;
  const sample = sampleScratch;
  sampleMagnitudes(data, sample);
  // Aim ~3 standard errors of the sample quantile (plus 0.5 %) below the wanted fraction.
  const margin = 0.005 + 3 * Math.sqrt((q * (1 - q)) / SAMPLES);
  const cut = selectKth(sample, Math.max(0, Math.floor((q - margin) * (SAMPLES - 1))));
  if (!(cut === cut)) return undefined; // a NaN in the sample
  const count = collectAbove(data, cut, work);
  const { below, weight } = quantileRank(q, n);
  const first = n - count; // the candidates are exactly ranks first … n − 1
  if (count < 0 || below < first) return undefined;
  const candidates = work.subarray(0, count);
  const low = selectKth(candidates, below - first);
  if (topRank(below, weight, n) === below) return scaleOf(low, maxValue);
  return scaleOf(interpolate(low, minimumOf(candidates, below - first + 1, count), weight), maxValue);
}

/**
 * The thresholding scale `s = f32(clamp(quantile_p(|x|), 1, maxValue))` of `data` (one sample),
 * spec §3.2 and diffusers' `_threshold_sample`, bit for bit. With torch's linear interpolation at
 * rank p·(n−1) the quantile is ≤ 1 whenever its upper order statistic is, i.e. when few enough
 * elements exceed 1; then s = f32(min(1, maxValue)) and nothing is selected.
 *
 * @param work - scratch of at least `data.length` elements.
 */
export function thresholdScale(data: Float32Array, q: number, maxValue: number, work: Float32Array): number {
  if (data.length < BUCKETED_MIN_SIZE) return plainScale(data, q, maxValue, work);
  if (q >= SAMPLED_MIN_PERCENTILE && data.length >= SAMPLED_MIN_SIZE) {
    const scale = sampledScale(data, q, maxValue, work);
    if (scale !== undefined) return scale;
  }
  // (Counting inside the x0 pass instead was slower: the increments stall the division loop.)
  const counts = bucketCounts;
  counts.fill(0);
  countBuckets(bitsOf(data), counts);
  return thresholdScaleFromCounts(data, q, maxValue, counts, work);
}

/**
 * Below {@link BUCKETED_MIN_SIZE} elements: when the quantile needs only the few largest |x| (a
 * high percentile: 0.99 of a 64² latent's 256 values needs the top 4), one pass keeps them
 * ({@link largestMagnitudes}); otherwise |x| is copied and selected (quickselect), unless at most
 * size − 1 − top of them exceed 1.
 */
function plainScale(data: Float32Array, q: number, maxValue: number, work: Float32Array): number {
  const size = data.length;
  const kept = largestKeptFor(size, q);
  // NaN: the quickselect path below, whose NaN order is its own.
  if (kept > 0 && largestMagnitudes(data, LARGEST_SCRATCH, kept)) return scaleFromLargest(LARGEST_SCRATCH, size, q, maxValue);
  const { below, weight } = quantileRank(q, size);
  const above = absoluteInto(work, data);
  // sorted[top] ≤ 1 iff at most size − 1 − top elements exceed 1 (NaN: quickselect's own order).
  if (above >= 0 && above <= size - 1 - topRank(below, weight, size)) return scaleOf(0, maxValue);
  return scaleOf(quantileLinear(work.length === size ? work : work.subarray(0, size), q), maxValue);
}

/** 2⁻¹²⁶, the smallest normal float32. */
export const MIN_NORMAL_FLOAT32 = 2 ** -126;

/** Kernel: `x ← clamp(x, −1, 1)` (x/1 is x). */
function clampUnit(data: Float32Array): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v > 1) data[i] = 1;
    else if (v < -1) data[i] = -1;
  }
}

/** Kernel: `x ← clamp(x, −s, s)/s` with the product of {@link applyThresholdScale}. */
function clampAndScale(data: Float32Array, scale: number): void {
  const s = +scale;
  const inverse = 1 / s;
  const tiny = s * MIN_NORMAL_FLOAT32;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    const c = v > s ? s : v < -s ? -s : v;
    data[i] = Math.abs(c) >= tiny ? c * inverse : c / s;
  }
}

/**
 * `x ← clamp(x, −s, s) / s` in place, bit for bit the float64 division stored to float32, with
 * fewer divisions:
 *
 * - s = 1: the division is the identity; only the clamp runs.
 * - otherwise `c · fl64(1/s)` wherever the quotient is a normal float32. c and s are float32, so
 *   c/s is never a float32 rounding midpoint and lies at least 2⁻⁴⁹ (relative) from every one,
 *   while `c · fl64(1/s)` (like fl64(c/s)) is within 2⁻⁵² of c/s: all round to the same float32.
 *   Quotients below 2⁻¹²⁶ (|c| < s·2⁻¹²⁶, exact in float64) can be subnormal midpoints, where
 *   the product can round the other way (found: (49·3)·2⁻¹⁴⁹ / 98): those keep the division.
 */
export function applyThresholdScale(data: Float32Array, s: number): void {
  if (s === 1) clampUnit(data);
  else clampAndScale(data, s);
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
  const work = scratch !== undefined && scratch.length >= size ? scratch : new Float32Array(size);
  for (let b = 0; b < batch; b++) {
    const sample = batch === 1 ? data : data.subarray(b * size, (b + 1) * size);
    applyThresholdScale(sample, thresholdScale(sample, percentile, maxValue, work));
  }
}

/** Clamps every element to [−1, 1] in place (the `percentile = null` branch of spec §3.2). */
export function clipUnit(data: Float32Array): void {
  clampUnit(data);
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
