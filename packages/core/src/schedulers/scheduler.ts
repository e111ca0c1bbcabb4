import type { Tensor } from '../tensor/tensor.js';

/**
 * A source of standard-normal noise for stochastic steps. `TorchGenerator` from the noise module
 * implements it so that DDPM-style steps draw exactly the numbers PyTorch would.
 */
export interface NoiseSource {
  /** A float32 tensor of N(0, 1) samples with the given dims. */
  randn(dims: readonly number[]): Tensor<'float32'>;
}

/**
 * Per-trajectory mutable state of a scheduler: the step index and any multistep history.
 * It is plain data owned by the caller, so one scheduler instance can serve many independent
 * trajectories (MultiDiffusion tiles, spec §4.8.2): keep one state per view and copy it with
 * {@link Scheduler.cloneState}.
 */
export interface SchedulerState {
  /** Index into `timesteps` of the next step to take. */
  stepIndex: number;
}

/** Options of {@link Scheduler.step}. */
export interface SchedulerStepOptions {
  /** Noise source for stochastic schedulers; required by those that add noise. */
  generator?: NoiseSource;
  /** Explicit noise for the step (same dims as the sample); wins over `generator`. */
  noise?: Tensor<'float32'>;
  /** Preallocated output for the new sample, to avoid allocation in hot loops. */
  out?: Tensor<'float32'>;
  /**
   * Also return the x0 estimate as `predOriginalSample` (previews). It costs one more tensor
   * written per step, so the DDPM/DDIM/Euler fast paths skip it unless asked; schedulers that
   * compute it anyway may return it regardless.
   * @default false
   */
  returnPredOriginalSample?: boolean;
}

/** What a step produces. */
export interface SchedulerStepResult {
  /** x_{t_prev}: the sample to feed the next model call. */
  prevSample: Tensor<'float32'>;
  /** The model's x0 estimate at this step, when the scheduler computes it. */
  predOriginalSample?: Tensor<'float32'>;
}

/**
 * The scheduler contract, modelled on diffusers' schedulers with the trajectory state made
 * explicit. Typical loop:
 * ```ts
 * scheduler.setTimesteps(25);
 * const state = scheduler.createState();
 * let x = scale(noise, scheduler.initNoiseSigma);
 * for (const t of scheduler.timesteps) {
 *   const input = scheduler.scaleModelInput(x, t);
 *   const eps = await unet(input, t);
 *   x = scheduler.step(eps, t, x, state, { generator }).prevSample;
 * }
 * ```
 */
export interface Scheduler<S extends SchedulerState = SchedulerState> {
  /** The diffusers class name this scheduler reproduces, e.g. "DDPMScheduler". */
  readonly name: string;
  /** The full, validated configuration (diffusers defaults filled in). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Standard deviation of the initial noise (1 except for sigma-space schedulers). */
  readonly initNoiseSigma: number;
  /** The timesteps of the current schedule, descending; empty before `setTimesteps`. */
  readonly timesteps: readonly number[];
  /** Number of inference steps of the current schedule. */
  readonly numInferenceSteps: number;
  /** ᾱ_t for t = 0 … T−1 (float32 values in float64 storage). */
  readonly alphasCumprod: Float64Array;

  /** Builds the schedule for `steps` inference steps (throws INVALID_STEPS on bad counts). */
  setTimesteps(steps: number): void;
  /** A fresh trajectory state positioned before the first step. */
  createState(): S;
  /** A deep copy of `state` (history tensors copied), for per-view snapshots. */
  cloneState(state: S): S;
  /** Scales the model input for timestep `t` (identity for DDPM/DDIM/DPM-Solver). */
  scaleModelInput(sample: Tensor<'float32'>, timestep: number, state?: S): Tensor<'float32'>;
  /** One denoising step from `sample` at `timestep` given the model output. Advances `state`. */
  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: S,
    options?: SchedulerStepOptions,
  ): SchedulerStepResult;
  /** Forward-diffuses clean samples to timestep `t` (img2img start, spec §4.4). */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'>;
}
