import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import type { GuidanceBatchOrder } from '../guidance/classifier-free-guidance.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { alphasCumprod as cumulativeAlphas, betaSchedule } from './beta-schedule.js';
import {
  assertPercentile,
  assertSameLength,
  keepLargest,
  LARGEST_SCRATCH,
  largestKeptFor,
  MIN_NORMAL_FLOAT32,
  scaleFromLargest,
  thresholdScale,
} from './dynamic-thresholding.js';
import type {
  Scheduler,
  SchedulerState,
  SchedulerStepOptions,
  SchedulerStepResult,
} from './scheduler.js';

const f32 = Math.fround;

/** Training timesteps of every Kandinsky 3 latent model (spec §3.1). */
const TRAIN_TIMESTEPS = 1000;

/** Percentile of the original text-to-image pipeline (spec §3.2). */
export const TEXT_TO_IMAGE_PERCENTILE = 0.99;
/** Percentile of the original inpainting pipeline (spec §3.2). */
export const INPAINTING_PERCENTILE = 0.95;

/** Options of {@link Kandinsky3Sampler}. */
export interface Kandinsky3SamplerOptions {
  /**
   * Dynamic-thresholding percentile in (0, 1]; `null` clips x0 to [−1, 1] instead.
   * @default 0.99
   */
  percentile?: number | null;
  /**
   * Variance scale in [0, 1]. It multiplies the variance, not the standard deviation (spec §3.2
   * step 4, §8 item 6): 1 is the DDPM posterior, 0 is deterministic.
   * @default 1
   */
  eta?: number;
}

/** Classifier-free guidance of {@link Kandinsky3Sampler.stepGuided} (spec §3.8). */
export interface Kandinsky3Guidance {
  /** Kandinsky's w in `(w + 1)·cond − w·uncond` (3 in the original pipeline). */
  readonly guidanceScale: number;
  /** Which half of the batch is conditional: `'cond-first'` in the original ai-forever code. */
  readonly order: GuidanceBatchOrder;
}

/**
 * The original Kandinsky 3.1 latent sampler (ai-forever/Kandinsky-3: kandinsky3/model/diffusion.py
 * `p_sample_loop`; spec §3.2) behind the {@link Scheduler} interface so pipelines can swap it for
 * diffusers' DDPM. Cosine schedule, grid `range(999, 0, −1000 // N)` then a terminal 0; per step
 * x0 from ε, per-sample percentile thresholding, ε recomputed from the thresholded x0, and
 * `x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ²)·ε + σ·z` with no noise into t = 0, where ᾱ₀ (not 1) is used.
 *
 * Noise: when a generator is given, one `randn` of the sample's dims is drawn on every step (also
 * the last, where it is not added), exactly as the reference consumes its generator.
 */
export class Kandinsky3Sampler implements Scheduler<SchedulerState> {
  readonly name = 'Kandinsky3Sampler';
  readonly config: Readonly<Record<string, unknown>>;
  readonly initNoiseSigma = 1;
  readonly alphasCumprod: Float64Array;
  /** The thresholding percentile, or `null` for plain clipping. */
  readonly percentile: number | null;
  /** Variance scale (see {@link Kandinsky3SamplerOptions.eta}). */
  readonly eta: number;
  private readonly sqrtAlphas: Float64Array;
  private readonly sqrtOneMinusAlphas: Float64Array;
  private grid: number[] = [];
  private scratch: Float32Array | null = null;
  /** x0 of a step whose caller said it does not want it (reused: step runs synchronously). */
  private originalScratch: Float32Array | null = null;

  constructor(options: Kandinsky3SamplerOptions = {}) {
    const { percentile = TEXT_TO_IMAGE_PERCENTILE, eta = 1 } = options;
    if (percentile !== null) assertPercentile('percentile', percentile);
    if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `eta must be a number in [0, 1], got ${describeValue(eta)}.`,
        hint: 'Use 1 (the original default) or 0 for a deterministic sampler.',
        details: { eta },
      });
    }
    this.percentile = percentile;
    this.eta = eta;
    this.config = Object.freeze({
      num_train_timesteps: TRAIN_TIMESTEPS,
      beta_schedule: 'squaredcos_cap_v2',
      percentile,
      eta,
    });
    this.alphasCumprod = cumulativeAlphas(
      betaSchedule({ schedule: 'squaredcos_cap_v2', numTrainTimesteps: TRAIN_TIMESTEPS }),
    );
    this.sqrtAlphas = this.alphasCumprod.map((a) => f32(Math.sqrt(a)));
    this.sqrtOneMinusAlphas = this.alphasCumprod.map((a) => f32(Math.sqrt(f32(1 - a))));
  }

  /** Timesteps at which the model is called, descending; the terminal 0 is implied. */
  get timesteps(): readonly number[] {
    return this.grid;
  }

  get numInferenceSteps(): number {
    return this.grid.length;
  }

  /**
   * Builds the grid of the reference, `range(999, 0, −1000 // steps)`: steps of ⌈1000/N⌉ (Python
   * floors −1000/N), so N = 50 → 999, 979, …, 19 and N = 25 → 999, 959, …, 39. When N does not
   * divide 1000 the grid can hold fewer than N timesteps (N = 600 → 500); `numInferenceSteps` says
   * how many.
   */
  setTimesteps(steps: number): void {
    if (!Number.isInteger(steps) || steps < 1 || steps > TRAIN_TIMESTEPS) {
      throw new KandinskyError({
        code: 'INVALID_STEPS',
        message: `The number of inference steps must be an integer in [1, ${TRAIN_TIMESTEPS}], got ${describeValue(steps)}.`,
        hint: 'The original Kandinsky 3.1 pipeline uses 50 steps.',
        details: { steps },
      });
    }
    const stride = Math.ceil(TRAIN_TIMESTEPS / steps);
    const grid: number[] = [];
    for (let t = TRAIN_TIMESTEPS - 1; t > 0; t -= stride) grid.push(t);
    this.grid = grid;
  }

  /** The timestep the step from `timesteps[index]` goes to (0 after the last). */
  previousTimestep(index: number): number {
    return index + 1 < this.grid.length ? this.grid[index + 1] : 0;
  }

  createState(): SchedulerState {
    return { stepIndex: 0 };
  }

  cloneState(state: SchedulerState): SchedulerState {
    return { stepIndex: state.stepIndex };
  }

  /** Identity: the original sampler feeds x_t unscaled. */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  /**
   * One step of spec §3.2 from the guided ε̂ (apply CFG, §3.8, before calling). Returns the new
   * sample and the thresholded x0 (unless `options.returnPredOriginalSample` is `false`: the
   * x0 then lives in a scratch buffer and is not returned).
   */
  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SchedulerState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const index = this.checkStep(timestep, state);
    assertDtype('sample', sample, 'float32');
    assertDtype('modelOutput', modelOutput, 'float32');
    assertDims('modelOutput', modelOutput, sample.dims);
    assertSameLength(sample.data.length, modelOutput.data, sample.data);
    return this.advance(index, modelOutput.data, null, 0, timestep, sample, state, options);
  }

  /**
   * {@link step} on the UNet's classifier-free-guidance batch `[2B, …]` (spec §3.8): the guided
   * ε = `(w + 1)·ε_cond − w·ε_uncond`, rounded to float32, is formed inside the x0 pass instead of
   * a pass of its own. The same bits as
   * `step(classifierFreeGuidanceBatched(batch, guidance), timestep, sample, state, options)`,
   * without writing the guided ε anywhere (`batch` is left unchanged).
   *
   * @throws KandinskyError SHAPE_MISMATCH unless `batch` is `[2B, …]` for a sample `[B, …]`;
   *   INVALID_ARGUMENT for a non-finite `guidanceScale` or an unknown `order`; and what {@link step}
   *   throws.
   */
  stepGuided(
    batch: Tensor<'float32'>,
    guidance: Kandinsky3Guidance,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SchedulerState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const index = this.checkStep(timestep, state);
    assertDtype('sample', sample, 'float32');
    assertDtype('batch', batch, 'float32');
    const { guidanceScale, order } = guidance;
    if (typeof guidanceScale !== 'number' || !Number.isFinite(guidanceScale)) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `guidanceScale must be a finite number, got ${describeValue(guidanceScale)}.`,
        hint: 'Pass a number such as 3 (Kandinsky 3 default).',
      });
    }
    if (order !== 'cond-first' && order !== 'uncond-first') {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `Unknown guidance batch order ${describeValue(order)}.`,
        hint: "Use 'cond-first' (original ai-forever code) or 'uncond-first' (diffusers / K3D).",
      });
    }
    if (!isGuidanceBatch(batch.dims, sample.dims)) assertDims('batch', batch, [2 * (sample.dims[0] ?? 1), ...sample.dims.slice(1)]);
    assertSameLength(2 * sample.data.length, batch.data, batch.data);
    const half = batch.data.length / 2;
    const conditionalStart = order === 'cond-first' ? 0 : half;
    const unconditionalStart = half - conditionalStart;
    return this.advance(
      index,
      batch.data.subarray(conditionalStart, conditionalStart + half),
      batch.data.subarray(unconditionalStart, unconditionalStart + half),
      guidanceScale,
      timestep,
      sample,
      state,
      options,
    );
  }

  /** Validates the grid, the state's step index and the timestep; returns the index. */
  private checkStep(timestep: number, state: SchedulerState): number {
    const grid = this.grid;
    if (grid.length === 0) {
      throw new KandinskyError({
        code: 'SCHEDULER_STATE',
        message: 'step() was called before setTimesteps().',
        hint: 'Call sampler.setTimesteps(steps) first.',
      });
    }
    const index = state.stepIndex;
    if (!Number.isInteger(index) || index < 0 || index >= grid.length) {
      throw new KandinskyError({
        code: 'SCHEDULER_STATE',
        message: `Step index ${describeValue(index)} is past the end of the ${grid.length}-step grid.`,
        hint: 'Run exactly numInferenceSteps steps per state, or create a new state.',
        details: { stepIndex: index },
      });
    }
    if (timestep !== grid[index]) {
      throw new KandinskyError({
        code: 'SCHEDULER_STATE',
        message: `step() got timestep ${describeValue(timestep)} but the state expects ${grid[index]} (step ${index}).`,
        hint: 'Iterate over sampler.timesteps in order.',
        details: { timestep, expected: grid[index] },
      });
    }
    return index;
  }

  /**
   * The step proper. `epsilon` is ε (same length as the sample), or with `unconditional` the
   * conditional half of a CFG batch and `guidanceScale` w.
   */
  private advance(
    index: number,
    epsilon: Float32Array,
    unconditional: Float32Array | null,
    guidanceScale: number,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SchedulerState,
    options: SchedulerStepOptions,
  ): SchedulerStepResult {
    const out = options.out ?? createTensor('float32', sample.dims);
    assertDtype('options.out', out, 'float32');
    assertDims('options.out', out, sample.dims);

    const previous = this.previousTimestep(index);
    const alpha = this.alphasCumprod[timestep];
    const alphaPrevious = this.alphasCumprod[previous];
    const sqrtAlpha = this.sqrtAlphas[timestep];
    const sqrtOneMinusAlpha = this.sqrtOneMinusAlphas[timestep];
    // σ = √(eta·(1 − ᾱ_t/ᾱ_prev)·(1 − ᾱ_prev)/(1 − ᾱ_t)), in the reference's float32 order.
    const sigma = f32(
      Math.sqrt(f32(f32(f32(this.eta * f32(1 - f32(alpha / alphaPrevious))) * f32(1 - alphaPrevious)) / f32(1 - alpha))),
    );
    const meanX0 = f32(Math.sqrt(alphaPrevious));
    // 1 − ᾱ_prev − σ² = (1 − ᾱ_prev)·ᾱ_t·(1/ᾱ_prev − 1)/(1 − ᾱ_t) ≥ 0 exactly, but in float32 it
    // can round below 0 (N = 1 with eta = 1: t = 999 → 0), where the reference returns NaN.
    const meanEpsilon = f32(Math.sqrt(Math.max(0, f32(f32(1 - alphaPrevious) - f32(sigma * sigma)))));

    let noise: Float32Array | null = null;
    if (options.noise !== undefined) {
      assertDtype('options.noise', options.noise, 'float32');
      assertDims('options.noise', options.noise, sample.dims);
      noise = options.noise.data;
    } else if (options.generator !== undefined) {
      const drawn = options.generator.randn(sample.dims);
      assertDims('generated noise', drawn, sample.dims);
      noise = drawn.data;
    } else if (previous !== 0 && sigma !== 0) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `Step ${index} (t = ${timestep} → ${previous}) adds noise but neither options.generator nor options.noise was given.`,
        hint: 'Pass a NoiseSource (e.g. a seeded TorchGenerator) as options.generator, or set eta to 0.',
      });
    }

    const x = sample.data;
    const size = x.length;
    // x0 is always computed; it is returned in a fresh tensor unless the caller explicitly
    // declined it (returnPredOriginalSample: false), which keeps the denoising loop allocation-free.
    const keepOriginal = options.returnPredOriginalSample !== false;
    if (!keepOriginal && this.originalScratch?.length !== size) this.originalScratch = new Float32Array(size);
    const predicted = keepOriginal ? new Float32Array(size) : this.originalScratch!;
    const y = out.data;
    const z = previous !== 0 ? noise : null; // no noise into t = 0
    // Per sample: x0 (with CFG when given); the threshold s; then one pass that clamps and scales
    // x0, recomputes ε and updates. Two divisions per element (x0 and ε: these must stay
    // divisions to keep their bits; the scaling by 1/s is exact as a product, see
    // applyThresholdScale). The loops are kernels over whole arrays (see dynamic-thresholding.ts).
    const batch = this.percentile === null ? 1 : (sample.dims[0] ?? 1);
    const sliceSize = size / batch;
    if (this.percentile !== null && (this.scratch === null || this.scratch.length < sliceSize)) {
      this.scratch = new Float32Array(sliceSize);
    }
    const kept = this.percentile === null || unconditional === null ? 0 : largestKeptFor(sliceSize, this.percentile);
    for (let b = 0; b < batch; b++) {
      const start = b * sliceSize;
      const end = start + sliceSize;
      const part = batch === 1 ? whole : (data: Float32Array): Float32Array => data.subarray(start, end);
      const p = part(predicted);
      // A small sample whose quantile needs only its few largest |x0| (64² at 0.99: the top 4)
      // keeps them in the x0 pass itself: one pass less over data the model run has just pushed
      // out of the caches.
      let s: number | undefined;
      if (unconditional === null) predictOriginal(part(x), part(epsilon), p, sqrtOneMinusAlpha, sqrtAlpha);
      else if (kept > 0) {
        const finite = predictOriginalGuidedKeepingLargest(
          part(x), part(epsilon), part(unconditional), p, guidanceScale, sqrtOneMinusAlpha, sqrtAlpha, LARGEST_SCRATCH, kept,
        );
        // NaN: thresholdScale's plain path below (its own NaN order).
        if (finite) s = scaleFromLargest(LARGEST_SCRATCH, sliceSize, this.percentile!, Number.POSITIVE_INFINITY);
      } else {
        predictOriginalGuided(part(x), part(epsilon), part(unconditional), p, guidanceScale, sqrtOneMinusAlpha, sqrtAlpha);
      }
      s ??= this.percentile === null ? 1 : thresholdScale(p, this.percentile, Number.POSITIVE_INFINITY, this.scratch!);
      // c·(1/s) is c/s where the quotient is a normal float32 (applyThresholdScale); below that
      // threshold the kernels divide. s = 1: 1/s = 1 and no threshold (x·1 = x/1 = x).
      const inverse = 1 / s;
      const tiny = s === 1 ? 0 : s * MIN_NORMAL_FLOAT32;
      if (z === null) update(part(x), p, part(y), s, inverse, tiny, sqrtAlpha, sqrtOneMinusAlpha, meanX0, meanEpsilon);
      else updateWithNoise(part(x), p, part(y), s, inverse, tiny, sqrtAlpha, sqrtOneMinusAlpha, meanX0, meanEpsilon, sigma, part(z));
    }
    state.stepIndex = index + 1;
    return keepOriginal ? { prevSample: out, predOriginalSample: createTensor('float32', sample.dims, predicted) } : { prevSample: out };
  }

  /** `x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·z` (the reference's `q_sample`). */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    return diffuse(original, noise, timestep, this.sqrtAlphas, this.sqrtOneMinusAlphas);
  }
}

/** `√ᾱ_t·x0 + √(1−ᾱ_t)·z` with float32 table values; shared with the Flash sampler. */
export function diffuse(
  original: Tensor<'float32'>,
  noise: Tensor<'float32'>,
  timestep: number,
  sqrtAlphas: Float64Array,
  sqrtOneMinusAlphas: Float64Array,
  out?: Tensor<'float32'>,
): Tensor<'float32'> {
  assertDtype('original', original, 'float32');
  assertDtype('noise', noise, 'float32');
  assertDims('noise', noise, original.dims);
  if (!Number.isInteger(timestep) || timestep < 0 || timestep >= sqrtAlphas.length) {
    throw new KandinskyError({
      code: 'INVALID_ARGUMENT',
      message: `timestep must be an integer in [0, ${sqrtAlphas.length - 1}], got ${describeValue(timestep)}.`,
      hint: 'Pass a training timestep such as 979 or 229.',
    });
  }
  const result = out ?? createTensor('float32', original.dims);
  assertDims('out', result, original.dims);
  const a = sqrtAlphas[timestep];
  const b = sqrtOneMinusAlphas[timestep];
  const x = original.data;
  const z = noise.data;
  for (let i = 0; i < x.length; i++) result.data[i] = a * x[i] + b * z[i];
  return result;
}

/** Whether `batch` is `[2·B, …sample[1:]]` for `sample` `[B, …]`. */
function isGuidanceBatch(batch: readonly number[], sample: readonly number[]): boolean {
  if (batch.length !== sample.length || batch[0] !== 2 * (sample[0] ?? 1)) return false;
  for (let i = 1; i < sample.length; i++) if (batch[i] !== sample[i]) return false;
  return true;
}

/** The identity, as the slicing of a one-sample batch. */
function whole(data: Float32Array): Float32Array {
  return data;
}

// Kernels of Kandinsky3Sampler.step: one loop each over whole arrays of one length, floats unboxed
// once (see dynamic-thresholding.ts for why, with the measurements).

/** Kernel: x0 = (x − √(1−ᾱ)·ε)/√ᾱ. */
function predictOriginal(
  x: Float32Array,
  epsilon: Float32Array,
  predicted: Float32Array,
  sqrtOneMinusAlphaIn: number,
  sqrtAlphaIn: number,
): void {
  const n = predicted.length;
  assertSameLength(n, x, epsilon);
  const sqrtOneMinusAlpha = +sqrtOneMinusAlphaIn;
  const sqrtAlpha = +sqrtAlphaIn;
  for (let i = 0; i < n; i++) predicted[i] = (x[i]! - sqrtOneMinusAlpha * epsilon[i]!) / sqrtAlpha;
}

/**
 * Kernel: {@link predictOriginal} with ε = f32((w + 1)·cond − w·uncond), the float32 value that
 * classifierFreeGuidance stores.
 */
function predictOriginalGuided(
  x: Float32Array,
  conditional: Float32Array,
  unconditional: Float32Array,
  predicted: Float32Array,
  guidanceScaleIn: number,
  sqrtOneMinusAlphaIn: number,
  sqrtAlphaIn: number,
): void {
  const n = predicted.length;
  assertSameLength(n, x, conditional, unconditional);
  const guidanceScale = +guidanceScaleIn;
  const conditionalScale = guidanceScale + 1;
  const sqrtOneMinusAlpha = +sqrtOneMinusAlphaIn;
  const sqrtAlpha = +sqrtAlphaIn;
  for (let i = 0; i < n; i++) {
    const epsilon = f32(conditionalScale * conditional[i]! - guidanceScale * unconditional[i]!);
    predicted[i] = (x[i]! - sqrtOneMinusAlpha * epsilon) / sqrtAlpha;
  }
}

/**
 * Kernel: {@link predictOriginalGuided}, also keeping the `kept` largest |x0| in descending order
 * in `largest` (as dynamic-thresholding's one-pass selection does; ties kept as often as they
 * occur). Returns false when an x0 is NaN (then `largest` is unspecified).
 */
function predictOriginalGuidedKeepingLargest(
  x: Float32Array,
  conditional: Float32Array,
  unconditional: Float32Array,
  predicted: Float32Array,
  guidanceScaleIn: number,
  sqrtOneMinusAlphaIn: number,
  sqrtAlphaIn: number,
  largest: Float64Array,
  kept: number,
): boolean {
  const n = predicted.length;
  assertSameLength(n, x, conditional, unconditional);
  const guidanceScale = +guidanceScaleIn;
  const conditionalScale = guidanceScale + 1;
  const sqrtOneMinusAlpha = +sqrtOneMinusAlphaIn;
  const sqrtAlpha = +sqrtAlphaIn;
  const last = kept - 1;
  for (let j = 0; j <= last; j++) largest[j] = Number.NEGATIVE_INFINITY;
  let smallestKept = Number.NEGATIVE_INFINITY;
  let nan = 0;
  for (let i = 0; i < n; i++) {
    const epsilon = f32(conditionalScale * conditional[i]! - guidanceScale * unconditional[i]!);
    // The magnitude of the stored float32 value, as the separate pass would read it.
    const value = f32((x[i]! - sqrtOneMinusAlpha * epsilon) / sqrtAlpha);
    predicted[i] = value;
    const magnitude = Math.abs(value);
    nan |= magnitude !== magnitude ? 1 : 0;
    if (magnitude > smallestKept) smallestKept = keepLargest(largest, last, magnitude);
  }
  return nan === 0;
}

/**
 * Kernel, last step (no noise): x0 ← clamp(x0, −s, s)/s, ε recomputed from it, and
 * `x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ²)·ε`.
 */
function update(
  x: Float32Array,
  predicted: Float32Array,
  y: Float32Array,
  sIn: number,
  inverseIn: number,
  tinyIn: number,
  sqrtAlphaIn: number,
  sqrtOneMinusAlphaIn: number,
  meanX0In: number,
  meanEpsilonIn: number,
): void {
  const n = predicted.length;
  assertSameLength(n, x, y);
  const s = +sIn;
  const inverse = +inverseIn;
  const tiny = +tinyIn;
  const sqrtAlpha = +sqrtAlphaIn;
  const sqrtOneMinusAlpha = +sqrtOneMinusAlphaIn;
  const meanX0 = +meanX0In;
  const meanEpsilon = +meanEpsilonIn;
  for (let i = 0; i < n; i++) {
    const v = predicted[i]!;
    const c = v > s ? s : v < -s ? -s : v;
    const p = f32(Math.abs(c) >= tiny ? c * inverse : c / s);
    predicted[i] = p;
    const recomputed = f32((x[i]! - sqrtAlpha * p) / sqrtOneMinusAlpha);
    y[i] = meanX0 * p + meanEpsilon * recomputed;
  }
}

/** Kernel: {@link update} plus σ·z. */
function updateWithNoise(
  x: Float32Array,
  predicted: Float32Array,
  y: Float32Array,
  sIn: number,
  inverseIn: number,
  tinyIn: number,
  sqrtAlphaIn: number,
  sqrtOneMinusAlphaIn: number,
  meanX0In: number,
  meanEpsilonIn: number,
  sigmaIn: number,
  z: Float32Array,
): void {
  const n = predicted.length;
  assertSameLength(n, x, y, z);
  const s = +sIn;
  const inverse = +inverseIn;
  const tiny = +tinyIn;
  const sqrtAlpha = +sqrtAlphaIn;
  const sqrtOneMinusAlpha = +sqrtOneMinusAlphaIn;
  const meanX0 = +meanX0In;
  const meanEpsilon = +meanEpsilonIn;
  const sigma = +sigmaIn;
  for (let i = 0; i < n; i++) {
    const v = predicted[i]!;
    const c = v > s ? s : v < -s ? -s : v;
    const p = f32(Math.abs(c) >= tiny ? c * inverse : c / s);
    predicted[i] = p;
    const recomputed = f32((x[i]! - sqrtAlpha * p) / sqrtOneMinusAlpha);
    y[i] = meanX0 * p + meanEpsilon * recomputed + sigma * z[i]!;
  }
}
