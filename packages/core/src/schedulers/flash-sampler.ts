import { checkSchedulerState } from './step-checks.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { alphasCumprod as cumulativeAlphas, betaSchedule, type BetaScheduleName } from './beta-schedule.js';
import { diffuse } from './kandinsky-sampler.js';
import type { Scheduler, SchedulerState, SchedulerStepOptions, SchedulerStepResult } from './scheduler.js';
import { checkOptionalObject } from '../errors/argument-checks.js';

const f32 = Math.fround;

/** The Flash timesteps, `range(979, 0, −250)` (spec §3.5, §3.7). */
export const FLASH_TIMESTEPS: readonly number[] = Object.freeze([979, 729, 479, 229]);

/** What the model called inside the loop returns. */
export type FlashPrediction = 'epsilon' | 'sample';

/** Options of {@link FlashSampler}. */
export interface FlashSamplerOptions {
  /**
   * Beta schedule: `squaredcos_cap_v2` for Kandinsky Flash (spec §3.5), `linear` for the
   * KandiSuperRes Flash SR loop (spec §3.7).
   * @default 'squaredcos_cap_v2'
   */
  schedule?: BetaScheduleName;
  /**
   * What the model predicts: ε for the Flash UNet, x0 (`sample`) for the SR UNet.
   * @default 'epsilon'
   */
  prediction?: FlashPrediction;
  /**
   * Timesteps of the loop, each an integer in [0, 999].
   * @default [979, 729, 479, 229]
   */
  timesteps?: readonly number[];
}

/**
 * The Flash x0 re-noising loop (ai-forever/Kandinsky-3: diffusion.py `gan=True`, spec §3.5) and
 * the KandiSuperRes Flash SR loop (ai-forever/KandiSuperRes: diffusion_sr_turbo.py, spec §3.7):
 * for each t, `x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·z` with fresh z, then x0 = model output (SR) or
 * `(x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t` (Flash; no clipping, no guidance). The last x0 is the result.
 * The KandiSuperRes refiner (spec §4.8.3) is this sampler with `timesteps: [229]`.
 *
 * As a {@link Scheduler} the sample between model calls is the re-noised x_t: start from
 * `addNoise(x0, z, timesteps[0])`; each `step` takes x0 from the model output and, unless it is
 * the last, re-noises it to the next timestep with a fresh draw of `options.generator`. The last
 * step returns x0. The draws are those of the reference loop, in its order.
 */
export class FlashSampler implements Scheduler<SchedulerState> {
  readonly name = 'FlashSampler';
  readonly config: Readonly<Record<string, unknown>>;
  readonly initNoiseSigma = 1;
  /** Timesteps of the loop, descending. */
  readonly timesteps: readonly number[];
  readonly prediction: FlashPrediction;
  readonly schedule: BetaScheduleName;
  /** ᾱ_t for t = 0 … 999 (float32 values). */
  readonly alphasCumprod: Float64Array;
  private readonly sqrtAlphas: Float64Array;
  private readonly sqrtOneMinusAlphas: Float64Array;

  constructor(options: FlashSamplerOptions = {}) {
    checkOptionalObject('options', options);
    const { schedule = 'squaredcos_cap_v2', prediction = 'epsilon', timesteps = FLASH_TIMESTEPS } = options;
    if (prediction !== 'epsilon' && prediction !== 'sample') {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `Unknown Flash prediction ${describeValue(prediction)}.`,
        'Use "epsilon" (Kandinsky Flash UNet) or "sample" (KandiSuperRes Flash SR UNet).',
      );
    }
    if (
      !Array.isArray(timesteps) ||
      timesteps.length === 0 ||
      !timesteps.every((t) => Number.isInteger(t) && t >= 0 && t < 1000)
    ) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `Flash timesteps must be a non-empty list of integers in [0, 999], got ${describeValue(timesteps)}.`,
        'Use the default [979, 729, 479, 229].',
      );
    }
    this.timesteps = Object.freeze([...timesteps]);
    this.prediction = prediction;
    this.schedule = schedule;
    this.config = Object.freeze({ beta_schedule: schedule, prediction_type: prediction, timesteps: this.timesteps });
    this.alphasCumprod = cumulativeAlphas(betaSchedule({ schedule }));
    this.sqrtAlphas = this.alphasCumprod.map((a) => f32(Math.sqrt(a)));
    this.sqrtOneMinusAlphas = this.alphasCumprod.map((a) => f32(Math.sqrt(f32(1 - a))));
  }

  /** KandiSuperRes Flash SR: linear schedule, the model predicts x0 (spec §3.7). */
  static superResolution(): FlashSampler {
    return new FlashSampler({ schedule: 'linear', prediction: 'sample' });
  }

  /** √ᾱ_t (float32), e.g. 0.031164 at t = 979 for the cosine schedule. */
  sqrtAlphaCumprod(timestep: number): number {
    return this.sqrtAlphas[this.checkTimestep(timestep)];
  }

  /** √(1−ᾱ_t) (float32), e.g. 0.999514 at t = 979 for the cosine schedule. */
  sqrtOneMinusAlphaCumprod(timestep: number): number {
    return this.sqrtOneMinusAlphas[this.checkTimestep(timestep)];
  }

  /** `x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·noise` (step 1 of spec §3.5). `out` may alias `x0`. */
  noiseToTimestep(
    x0: Tensor<'float32'>,
    noise: Tensor<'float32'>,
    timestep: number,
    out?: Tensor<'float32'>,
  ): Tensor<'float32'> {
    this.checkTimestep(timestep);
    return diffuse(x0, noise, timestep, this.sqrtAlphas, this.sqrtOneMinusAlphas, out);
  }

  /** `x0 = (x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t` (step 3 of spec §3.5). `out` may alias either input. */
  x0FromEpsilon(
    noisy: Tensor<'float32'>,
    epsilon: Tensor<'float32'>,
    timestep: number,
    out?: Tensor<'float32'>,
  ): Tensor<'float32'> {
    this.checkTimestep(timestep);
    assertDtype('noisy', noisy, 'float32');
    assertDtype('epsilon', epsilon, 'float32');
    assertDims('epsilon', epsilon, noisy.dims);
    const result = out ?? createTensor('float32', noisy.dims);
    assertDims('out', result, noisy.dims);
    const a = this.sqrtAlphas[timestep];
    const b = this.sqrtOneMinusAlphas[timestep];
    const x = noisy.data;
    const e = epsilon.data;
    for (let i = 0; i < x.length; i++) result.data[i] = (x[i] - b * e[i]) / a;
    return result;
  }

  get numInferenceSteps(): number {
    return this.timesteps.length;
  }

  /**
   * The timesteps are fixed by the distillation (spec §3.5): `steps` must be their count.
   * @throws KandinskyError INVALID_STEPS for any other count.
   */
  setTimesteps(steps: number): void {
    if (steps !== this.timesteps.length) {
      throw kandinskyError(
        'INVALID_STEPS',
        `FlashSampler runs its ${this.timesteps.length} fixed timesteps, got steps ${describeValue(steps)}.`,
        `Omit steps (Flash always takes ${this.timesteps.length}), or pass other timesteps to the constructor.`,
        { steps },
      );
    }
  }

  createState(): SchedulerState {
    return { stepIndex: 0 };
  }

  cloneState(state: SchedulerState): SchedulerState {
    checkSchedulerState(state);
    return { stepIndex: state.stepIndex };
  }

  /** Identity: the model sees x_t as it is. */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  /**
   * x0 from the model output at `timestep` (`sample` is x_t), then x_next = √ᾱ·x0 + √(1−ᾱ)·z with
   * z from `options.noise` or `options.generator`; the last step returns x0 itself.
   */
  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SchedulerState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    checkSchedulerState(state);
    const index = state.stepIndex;
    if (this.timesteps[index] !== timestep) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `step() got timestep ${describeValue(timestep)} but the state expects ${describeValue(this.timesteps[index])} (step ${index}).`,
        'Iterate over sampler.timesteps in order, once per state.',
        { timestep, stepIndex: index },
      );
    }
    assertDtype('model output', modelOutput, 'float32');
    assertDims('model output', modelOutput, sample.dims);
    const x0 = this.prediction === 'sample' ? modelOutput : this.x0FromEpsilon(sample, modelOutput, timestep);
    state.stepIndex = index + 1;
    const next = this.timesteps[index + 1];
    if (next === undefined) {
      const out = options.out ?? createTensor('float32', sample.dims);
      out.data.set(x0.data);
      return { prevSample: out, predOriginalSample: x0 };
    }
    const noise = options.noise ?? options.generator?.randn(sample.dims);
    if (noise === undefined) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `FlashSampler re-noises to t = ${next} after step ${index} but neither options.generator nor options.noise was given.`,
        'Pass a seeded TorchGenerator as options.generator.',
      );
    }
    return { prevSample: this.noiseToTimestep(x0, noise, next, options.out), predOriginalSample: x0 };
  }

  /** {@link noiseToTimestep}: the start of the loop, x_T from the initial x0. */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    return this.noiseToTimestep(original, noise, timestep);
  }

  private checkTimestep(timestep: number): number {
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= this.sqrtAlphas.length) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `timestep must be an integer in [0, ${this.sqrtAlphas.length - 1}], got ${describeValue(timestep)}.`,
        'Use one of the Flash timesteps, e.g. 979 or 229.',
      );
    }
    return timestep;
  }
}
