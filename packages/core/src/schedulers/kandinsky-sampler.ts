import { checkSchedulerState } from './step-checks.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { alphasCumprod as cumulativeAlphas, betaSchedule } from './beta-schedule.js';
import { assertPercentile, thresholdScale } from './dynamic-thresholding.js';
import type {
  Scheduler,
  SchedulerState,
  SchedulerStepOptions,
  SchedulerStepResult,
} from './scheduler.js';
import { checkInteger, checkOptionalObject } from '../errors/argument-checks.js';

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

  constructor(options: Kandinsky3SamplerOptions = {}) {
    checkOptionalObject('options', options);
    const { percentile = TEXT_TO_IMAGE_PERCENTILE, eta = 1 } = options;
    if (percentile !== null) assertPercentile('percentile', percentile);
    if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `eta must be a number in [0, 1], got ${describeValue(eta)}.`,
        'Use 1 (the original default) or 0 for a deterministic sampler.',
        { eta },
      );
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
      throw kandinskyError(
        'INVALID_STEPS',
        `The number of inference steps must be an integer in [1, ${TRAIN_TIMESTEPS}], got ${describeValue(steps)}.`,
        'The original Kandinsky 3.1 pipeline uses 50 steps.',
        { steps },
      );
    }
    const stride = Math.ceil(TRAIN_TIMESTEPS / steps);
    const grid: number[] = [];
    for (let t = TRAIN_TIMESTEPS - 1; t > 0; t -= stride) grid.push(t);
    this.grid = grid;
  }

  /** The timestep the step from `timesteps[index]` goes to (0 after the last). */
  previousTimestep(index: number): number {
    checkInteger('index', index, 0, 'Pass a step index into sampler.timesteps.');
    return index + 1 < this.grid.length ? this.grid[index + 1] : 0;
  }

  createState(): SchedulerState {
    return { stepIndex: 0 };
  }

  cloneState(state: SchedulerState): SchedulerState {
    checkSchedulerState(state);
    return { stepIndex: state.stepIndex };
  }

  /** Identity: the original sampler feeds x_t unscaled. */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  /**
   * One step of spec §3.2 from the guided ε̂ (apply CFG, §3.8, before calling). Returns the new
   * sample and, unless `options.returnPredOriginalSample` is `false`, the thresholded x0.
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
    return this.advance(index, modelOutput.data, timestep, sample, state, options);
  }

  /** Validates the grid, the state's step index and the timestep; returns the index. */
  private checkStep(timestep: number, state: SchedulerState): number {
    const grid = this.grid;
    if (grid.length === 0) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        'step() was called before setTimesteps().',
        'Call sampler.setTimesteps(steps) first.',
      );
    }
    const index = state.stepIndex;
    if (!Number.isInteger(index) || index < 0 || index >= grid.length) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `Step index ${describeValue(index)} is past the end of the ${grid.length}-step grid.`,
        'Run exactly numInferenceSteps steps per state, or create a new state.',
        { stepIndex: index },
      );
    }
    if (timestep !== grid[index]) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `step() got timestep ${describeValue(timestep)} but the state expects ${grid[index]} (step ${index}).`,
        'Iterate over sampler.timesteps in order.',
        { timestep, expected: grid[index] },
      );
    }
    return index;
  }

  /** The step proper, on the guided ε. */
  private advance(
    index: number,
    epsilon: Float32Array,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SchedulerState,
    options: SchedulerStepOptions,
  ): SchedulerStepResult {
    const out = options.out ?? createTensor('float32', sample.dims);
    assertDtype('options.out', out, 'float32');
    assertDims('options.out', out, sample.dims);

    const previous = this.previousTimestep(index);
    const alpha = this.alphasCumprod[timestep]!;
    const alphaPrevious = this.alphasCumprod[previous]!;
    const sqrtAlpha = this.sqrtAlphas[timestep]!;
    const sqrtOneMinusAlpha = this.sqrtOneMinusAlphas[timestep]!;
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
      // Drawn on every step, the last included, as the reference consumes its generator.
      const drawn = options.generator.randn(sample.dims);
      assertDims('generated noise', drawn, sample.dims);
      noise = drawn.data;
    } else if (previous !== 0 && sigma !== 0) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `Step ${index} (t = ${timestep} → ${previous}) adds noise but neither options.generator nor options.noise was given.`,
        'Pass a NoiseSource (e.g. a seeded TorchGenerator) as options.generator, or set eta to 0.',
      );
    }
    const z = previous !== 0 ? noise : null; // no noise into t = 0

    const x = sample.data;
    const y = out.data;
    const size = x.length;
    // x0 is returned unless the caller declines it; then it is worked out in the output buffer,
    // which the update overwrites element by element after reading it.
    const keepOriginal = options.returnPredOriginalSample !== false;
    const outputIsFree = y.buffer !== x.buffer && y.buffer !== epsilon.buffer && y.buffer !== z?.buffer;
    const predicted = keepOriginal || !outputIsFree ? new Float32Array(size) : y;
    predictOriginal(x, epsilon, predicted, sqrtAlpha, sqrtOneMinusAlpha);
    // Per sample (spec §3.2): the threshold s (the quantile of |x0| with a floor of 1, or 1 for a
    // plain clip), then x0 ← clamp(x0, −s, s)/s, ε recomputed from it, and the DDPM posterior mean
    // plus σ·z.
    const coefficients = { sqrtAlpha, sqrtOneMinusAlpha, meanX0, meanEpsilon, sigma };
    const batch = sample.dims[0] ?? 1;
    const sliceSize = size / batch;
    for (let b = 0; b < batch; b++) {
      const start = b * sliceSize;
      const end = start + sliceSize;
      const s = this.percentile === null ? 1 : thresholdScale(predicted.subarray(start, end), this.percentile, Number.POSITIVE_INFINITY);
      update(x, predicted, y, z, start, end, s, coefficients);
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
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `timestep must be an integer in [0, ${sqrtAlphas.length - 1}], got ${describeValue(timestep)}.`,
      'Pass a training timestep such as 979 or 229.',
    );
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

// The two passes of a step, each a small function of its own: V8 optimises such a loop on its own
// instead of on-stack replacing it inside the long step method.

/** x0 = (x − √(1−ᾱ)·ε)/√ᾱ, stored to float32. */
function predictOriginal(x: Float32Array, epsilon: Float32Array, predicted: Float32Array, sqrtAlphaIn: number, sqrtOneMinusAlphaIn: number): void {
  const sqrtAlpha = +sqrtAlphaIn;
  const sqrtOneMinusAlpha = +sqrtOneMinusAlphaIn;
  for (let i = 0; i < predicted.length; i++) predicted[i] = (x[i]! - sqrtOneMinusAlpha * epsilon[i]!) / sqrtAlpha;
}

/** Elements [start, end): x0 ← f32(clamp(x0, −s, s)/s), ε recomputed, x_prev written to `y`. */
function update(
  x: Float32Array,
  predicted: Float32Array,
  y: Float32Array,
  z: Float32Array | null,
  start: number,
  end: number,
  s: number,
  coefficients: { sqrtAlpha: number; sqrtOneMinusAlpha: number; meanX0: number; meanEpsilon: number; sigma: number },
): void {
  const { sqrtAlpha, sqrtOneMinusAlpha, meanX0, meanEpsilon, sigma } = coefficients;
  // A number parameter read inside a hot loop is re-checked on every iteration by V8; a local
  // unboxed once (unary +) is not.
  const threshold = +s;
  for (let i = start; i < end; i++) {
    const v = predicted[i]!;
    const p = f32((v > threshold ? threshold : v < -threshold ? -threshold : v) / threshold);
    predicted[i] = p;
    const recomputed = f32((x[i]! - sqrtAlpha * p) / sqrtOneMinusAlpha);
    const mean = meanX0 * p + meanEpsilon * recomputed;
    y[i] = z === null ? mean : mean + sigma * z[i]!;
  }
}
