import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import { alphasCumprod as cumulativeAlphas, betaSchedule, type BetaScheduleName } from './beta-schedule.js';
import { diffuse } from './kandinsky-sampler.js';
import type { NoiseSource } from './scheduler.js';

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

/** Arguments of {@link FlashSampler.sample}. */
export interface FlashSampleOptions {
  /** Initial x0 (N(0, I) of the output shape in both references). */
  initial: Tensor<'float32'>;
  /** Draws the fresh noise of each step. */
  generator: NoiseSource;
  /** The model: returns ε or x0 (see `prediction`) for the noisy input at timestep `t`. */
  model: (noisy: Tensor<'float32'>, timestep: number, stepIndex: number) => Promise<Tensor<'float32'>>;
  /** Checked before each step (throws ABORTED). @default undefined */
  signal?: AbortSignalLike;
}

/**
 * The Flash x0 re-noising loop (ai-forever/Kandinsky-3: diffusion.py `gan=True`, spec §3.5) and
 * the KandiSuperRes Flash SR loop (ai-forever/KandiSuperRes: diffusion_sr_turbo.py, spec §3.7):
 * for each t, `x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·z` with fresh z, then x0 = model output (SR) or
 * `(x_t − √(1−ᾱ_t)·ε̂)/√ᾱ_t` (Flash; no clipping, no guidance). The last x0 is the result.
 * The KandiSuperRes refiner (spec §4.8.3) is this sampler with `timesteps: [229]`.
 */
export class FlashSampler {
  /** Timesteps of the loop, descending. */
  readonly timesteps: readonly number[];
  readonly prediction: FlashPrediction;
  readonly schedule: BetaScheduleName;
  /** ᾱ_t for t = 0 … 999 (float32 values). */
  readonly alphasCumprod: Float64Array;
  private readonly sqrtAlphas: Float64Array;
  private readonly sqrtOneMinusAlphas: Float64Array;

  constructor(options: FlashSamplerOptions = {}) {
    const { schedule = 'squaredcos_cap_v2', prediction = 'epsilon', timesteps = FLASH_TIMESTEPS } = options;
    if (prediction !== 'epsilon' && prediction !== 'sample') {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `Unknown Flash prediction ${describeValue(prediction)}.`,
        hint: 'Use "epsilon" (Kandinsky Flash UNet) or "sample" (KandiSuperRes Flash SR UNet).',
      });
    }
    if (
      !Array.isArray(timesteps) ||
      timesteps.length === 0 ||
      !timesteps.every((t) => Number.isInteger(t) && t >= 0 && t < 1000)
    ) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `Flash timesteps must be a non-empty list of integers in [0, 999], got ${describeValue(timesteps)}.`,
        hint: 'Use the default [979, 729, 479, 229].',
      });
    }
    this.timesteps = Object.freeze([...timesteps]);
    this.prediction = prediction;
    this.schedule = schedule;
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

  /**
   * Runs the whole loop: per timestep draw z (dims of `initial`), re-noise, call the model, and
   * take its x0. Returns the final x0 (a new tensor; `initial` is not modified).
   */
  async sample(options: FlashSampleOptions): Promise<Tensor<'float32'>> {
    const { initial, generator, model, signal } = options;
    assertDtype('initial', initial, 'float32');
    let x0 = initial;
    const noisy = createTensor('float32', initial.dims);
    for (let index = 0; index < this.timesteps.length; index++) {
      throwIfAborted(signal, 'Flash sampling');
      const t = this.timesteps[index];
      const z = generator.randn(initial.dims);
      this.noiseToTimestep(x0, z, t, noisy);
      const output = await model(noisy, t, index);
      assertDtype('model output', output, 'float32');
      assertDims('model output', output, initial.dims);
      x0 = this.prediction === 'sample' ? output : this.x0FromEpsilon(noisy, output, t);
    }
    return x0 === initial ? createTensor('float32', initial.dims, initial.data.slice()) : x0;
  }

  private checkTimestep(timestep: number): number {
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= this.sqrtAlphas.length) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `timestep must be an integer in [0, ${this.sqrtAlphas.length - 1}], got ${describeValue(timestep)}.`,
        hint: 'Use one of the Flash timesteps, e.g. 979 or 229.',
      });
    }
    return timestep;
  }
}
