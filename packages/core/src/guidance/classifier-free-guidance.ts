import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, shapeMismatch } from '../errors/error-constructors.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { checkObject } from '../errors/argument-checks.js';

/**
 * Order of the two halves of a CFG batch (spec §3.8): the original ai-forever code runs
 * `[cond, uncond]`, diffusers and the K3D pipelines `[uncond, cond]`. The result does not depend
 * on it, but it must match how the context/mask batch was built.
 */
export type GuidanceBatchOrder = 'cond-first' | 'uncond-first';

/** Options of {@link classifierFreeGuidance}. */
export interface ClassifierFreeGuidanceOptions {
  /**
   * Kandinsky's w in `(w + 1)·cond − w·uncond` (spec §3.8); w = 3 equals the "standard" CFG
   * scale 4. Any finite number is applied as given: skipping CFG for w ≤ 1 (as diffusers/K3D do)
   * is the pipeline's decision, not this function's.
   */
  guidanceScale: number;
  /**
   * φ of the std-ratio rescale (Lin et al. 2023, as in the K3D pipelines):
   * `out = φ·g·σ(cond)/σ(g) + (1 − φ)·g` per batch item, with the unbiased std over all
   * non-batch elements. Must lie in [0, 1]. Where σ(g) = 0 (a constant prediction) the ratio is
   * undefined and that item is left unrescaled instead of becoming NaN.
   * @default 0 (no rescale; the K3D default)
   */
  guidanceRescale?: number;
  /**
   * Where to write the guided prediction (same dims as `conditional`). It may be `conditional`
   * or `unconditional` themselves.
   * @default `conditional`, overwritten in place (no allocation in the denoising loop)
   */
  out?: Tensor<'float32'>;
}

/** Options of {@link classifierFreeGuidanceBatched}. */
export interface BatchedClassifierFreeGuidanceOptions extends ClassifierFreeGuidanceOptions {
  /** Which half of the batch holds the conditional prediction (required: no safe default). */
  order: GuidanceBatchOrder;
  /**
   * Output `[B, …]`.
   * @default a zero-copy view of the conditional half of the batch, overwritten in place
   */
  out?: Tensor<'float32'>;
}

function validateScales(guidanceScale: number, guidanceRescale: number): void {
  if (typeof guidanceScale !== 'number' || !Number.isFinite(guidanceScale)) {
    throw invalidArgument(
      'guidanceScale',
      guidanceScale,
      'a finite number',
      'Pass a number such as 3 (Kandinsky 3 default) or 7.5 (K3D README).',
    );
  }
  if (typeof guidanceRescale !== 'number' || !(guidanceRescale >= 0 && guidanceRescale <= 1)) {
    throw invalidArgument(
      'guidanceRescale',
      guidanceRescale,
      'a number in [0, 1]',
      'Use 0 to disable the rescale (default) or a value such as 0.7.',
    );
  }
}

/**
 * Unbiased standard deviation from sums of (x − shift) and (x − shift)², float64. Shifting by a
 * sample value keeps the one-pass formula free of cancellation when the mean is far from 0.
 */
function standardDeviation(shiftedSum: number, shiftedSquares: number, length: number): number {
  if (length < 2) return 0;
  return Math.sqrt(Math.max(0, (shiftedSquares - (shiftedSum * shiftedSum) / length) / (length - 1)));
}

/**
 * Kernel: `target[i] = (w + 1)·cond[i] − w·uncond[i + offset]` for i in [start, end), float64
 * rounded once to float32. A function of its own holding only the loop, with w unboxed once (unary
 * +): as a parameter used inside the loop V8 re-checked it on every iteration (see
 * schedulers/kandinsky-sampler.ts).
 */
function guide(
  conditional: Float32Array,
  unconditional: Float32Array,
  target: Float32Array,
  start: number,
  end: number,
  guidanceScaleIn: number,
  offset: number,
): void {
  const guidanceScale = +guidanceScaleIn;
  const conditionalScale = guidanceScale + 1;
  for (let index = start; index < end; index++) {
    target[index] = conditionalScale * conditional[index]! - guidanceScale * unconditional[index + offset]!;
  }
}

/** Writes guidance of `items` items of `itemSize` elements each. */
function combine(
  conditional: Float32Array,
  unconditional: Float32Array,
  target: Float32Array,
  items: number,
  itemSize: number,
  guidanceScale: number,
  guidanceRescale: number,
): void {
  const conditionalScale = guidanceScale + 1;
  for (let item = 0; item < items; item++) {
    const start = item * itemSize;
    const end = start + itemSize;
    if (guidanceRescale === 0) {
      guide(conditional, unconditional, target, start, end, guidanceScale, 0);
      continue;
    }
    // σ(cond) must be read before an in-place write overwrites `conditional`.
    const conditionalShift = conditional[start]!;
    let conditionalSum = 0;
    let conditionalSquares = 0;
    for (let index = start; index < end; index++) {
      const deviation = conditional[index]! - conditionalShift;
      conditionalSum += deviation;
      conditionalSquares += deviation * deviation;
    }
    const guidedShift = Math.fround(conditionalScale * conditionalShift - guidanceScale * unconditional[start]!);
    let guidedSum = 0;
    let guidedSquares = 0;
    for (let index = start; index < end; index++) {
      const guided = Math.fround(conditionalScale * conditional[index]! - guidanceScale * unconditional[index]!);
      target[index] = guided;
      const deviation = guided - guidedShift;
      guidedSum += deviation;
      guidedSquares += deviation * deviation;
    }
    const conditionalStd = standardDeviation(conditionalSum, conditionalSquares, itemSize);
    const guidedStd = standardDeviation(guidedSum, guidedSquares, itemSize);
    if (guidedStd > 0 && Number.isFinite(guidedStd)) {
      const factor = guidanceRescale * (conditionalStd / guidedStd) + (1 - guidanceRescale);
      for (let index = start; index < end; index++) target[index] = target[index]! * factor;
    }
  }
}

/**
 * Kandinsky classifier-free guidance `ε̂ = (w + 1)·ε_cond − w·ε_uncond` (spec §3.8), optionally
 * followed by the guidance rescale. The first dim of the tensors is the batch (per-item rescale).
 * Arithmetic is float64, rounded once to float32.
 *
 * @returns `options.out`, by default `conditional` itself (overwritten).
 */
export function classifierFreeGuidance(
  conditional: Tensor<'float32'>,
  unconditional: Tensor<'float32'>,
  options: ClassifierFreeGuidanceOptions,
): Tensor<'float32'> {
  checkObject('options', options, 'an options object { guidanceScale }', 'Pass e.g. { guidanceScale: 3 }.');
  const guidanceRescale = options.guidanceRescale ?? 0;
  validateScales(options.guidanceScale, guidanceRescale);
  assertDtype('conditional', conditional, 'float32');
  assertDtype('unconditional', unconditional, 'float32');
  assertDims('unconditional', unconditional, conditional.dims);
  const out = options.out ?? conditional;
  assertDtype('out', out, 'float32');
  assertDims('out', out, conditional.dims);
  const items = conditional.dims.length === 0 ? 1 : conditional.dims[0]!;
  const itemSize = items === 0 ? 0 : conditional.data.length / items;
  combine(conditional.data, unconditional.data, out.data, items, itemSize, options.guidanceScale, guidanceRescale);
  return out;
}

/**
 * Classifier-free guidance on a model output batch `[2B, …]` from one UNet call on the doubled
 * batch; `order` says which half is conditional. Returns `[B, …]`.
 */
export function classifierFreeGuidanceBatched(
  batch: Tensor<'float32'>,
  options: BatchedClassifierFreeGuidanceOptions,
): Tensor<'float32'> {
  assertDtype('batch', batch, 'float32');
  checkObject('options', options, 'an options object { order, guidanceScale }', "Pass e.g. { order: 'cond-first', guidanceScale: 3 }.");
  if (options.order !== 'cond-first' && options.order !== 'uncond-first') {
    const hint = "Use 'cond-first' (original ai-forever code) or 'uncond-first' (diffusers / K3D).";
    throw invalidArgument('order', options.order, "'cond-first' or 'uncond-first'", hint);
  }
  const total = batch.dims[0];
  if (batch.dims.length === 0 || total === undefined || total % 2 !== 0 || total === 0) {
    throw shapeMismatch(
      `CFG batch has shape ${describeValue(batch.dims)}: the first dim must be even (2·B).`,
      'Run the UNet on the concatenated [uncond; cond] (or [cond; uncond]) batch.',
      { dims: batch.dims },
    );
  }
  const half = batch.data.length / 2;
  const dims = [total / 2, ...batch.dims.slice(1)];
  const conditionalStart = options.order === 'cond-first' ? 0 : half;
  const unconditionalStart = half - conditionalStart;
  const conditional = createTensor('float32', dims, batch.data.subarray(conditionalStart, conditionalStart + half));
  const unconditional = createTensor('float32', dims, batch.data.subarray(unconditionalStart, unconditionalStart + half));
  return classifierFreeGuidance(conditional, unconditional, {
    guidanceScale: options.guidanceScale,
    guidanceRescale: options.guidanceRescale ?? 0,
    out: options.out ?? conditional,
  });
}

/**
 * The denoising loops' {@link classifierFreeGuidanceBatched} without its per-call option checks
 * (the caller validated `guidanceScale` once per call; no rescale): writes the guided prediction
 * over the conditional half of `batch` and returns that half, `[B, …]`. Internal to the package.
 *
 * @param conditionalFirst - `order === 'cond-first'`.
 */
export function guideBatchInPlace(batch: Tensor<'float32'>, guidanceScale: number, conditionalFirst: boolean): Tensor<'float32'> {
  assertDtype('batch', batch, 'float32');
  const total = batch.dims[0];
  if (total === undefined || total % 2 !== 0 || total === 0) {
    // The full checks give the usual error.
    return classifierFreeGuidanceBatched(batch, { guidanceScale, order: conditionalFirst ? 'cond-first' : 'uncond-first' });
  }
  const data = batch.data;
  const half = data.length / 2;
  const conditionalStart = conditionalFirst ? 0 : half;
  // The unconditional half starts at half − conditionalStart.
  guide(data, data, data, conditionalStart, conditionalStart + half, guidanceScale, half - 2 * conditionalStart);
  const dims = batch.dims.slice();
  dims[0] = total / 2;
  return { dtype: 'float32', dims, data: data.subarray(conditionalStart, conditionalStart + half) };
}
