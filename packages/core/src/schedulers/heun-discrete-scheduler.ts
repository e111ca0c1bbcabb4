import { addSigmaNoise, timestepIndex } from './sigma-noise.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig, kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import type { Scheduler, SchedulerStepOptions, SchedulerStepResult } from './scheduler.js';
import {
  PREDICTION_TYPES,
  TRAINING_SCHEDULE_KEYS,
  assertSchedulerConfigObject,
  ignoredConfigKeys,
  readBoolean,
  readEnum,
  readNumber,
  readTrainingScheduleConfig,
  rejectEnabled,
  trainingScheduleRecord,
  type PredictionType,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
} from './scheduler-config.js';
import {
  exponentialSigmas,
  interpolateSigma,
  karrasSigmas,
  logSigmas,
  scaleBySigma,
  sigmaSpaceInitNoiseSigma,
  sigmaToTimestep,
  sigmaTrainingTables,
} from './sigma-schedule.js';
import {
  assertScheduleReady,
  checkBeginIndex,
  checkStepPosition,
  newScheduleId,
  prepareStepTensors,
  checkSchedulerState,
  type SingleStepSchedulerState,
} from './step-checks.js';
import { TIMESTEP_SPACINGS, spacedTimesteps, type TimestepSpacing } from './timestep-spacing.js';

const f32 = Math.fround;

/** The validated configuration of {@link HeunDiscreteScheduler}, in camelCase. */
export interface HeunDiscreteConfig extends TrainingScheduleConfig {
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** Karras et al. (2022) σ spacing with ρ = 7. @default false */
  useKarrasSigmas: boolean;
  /** σ uniform in log space. @default false */
  useExponentialSigmas: boolean;
  /** Clamp the x0 estimate to ±`clipSampleRange`. @default false */
  clipSample: boolean;
  /** @default 1.0 */
  clipSampleRange: number;
  /** @default 'linspace' */
  timestepSpacing: TimestepSpacing;
  /** @default 0 */
  stepsOffset: number;
}

const HEUN_KEYS = [
  ...TRAINING_SCHEDULE_KEYS.filter((key) => key !== 'rescale_betas_zero_snr'),
  'prediction_type',
  'use_karras_sigmas',
  'use_exponential_sigmas',
  'use_beta_sigmas',
  'clip_sample',
  'clip_sample_range',
  'timestep_spacing',
  'steps_offset',
];

/**
 * Reads a diffusers HeunDiscreteScheduler config (see `SchedulerConfigInput` for the key policy).
 * Its defaults differ from DDPM's: β from 0.00085 to 0.012, and `beta_schedule` may also be `exp`.
 */
export function resolveHeunDiscreteConfig(config: SchedulerConfigInput): HeunDiscreteConfig {
  assertSchedulerConfigObject(config);
  rejectEnabled(config, ['use_beta_sigmas']);
  const useKarrasSigmas = readBoolean(config, 'use_karras_sigmas', false);
  const useExponentialSigmas = readBoolean(config, 'use_exponential_sigmas', false);
  if (useKarrasSigmas && useExponentialSigmas) {
    throw invalidSchedulerConfig(
      'use_exponential_sigmas',
      true,
      'use_karras_sigmas and use_exponential_sigmas are both true; diffusers allows only one σ spacing.',
      'Set at most one of use_karras_sigmas / use_exponential_sigmas.',
    );
  }
  return {
    ...readTrainingScheduleConfig(config, {
      betaStart: 0.00085,
      betaEnd: 0.012,
      betaSchedules: ['linear', 'scaled_linear', 'squaredcos_cap_v2', 'exp'],
      // diffusers' HeunDiscreteScheduler has no zero-terminal-SNR option: the key is ignored.
      rescale: false,
    }),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    useKarrasSigmas,
    useExponentialSigmas,
    clipSample: readBoolean(config, 'clip_sample', false),
    clipSampleRange: readNumber(config, 'clip_sample_range', 1, { minimum: 0 }),
    timestepSpacing: readEnum(config, 'timestep_spacing', 'linspace', TIMESTEP_SPACINGS),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
  };
}

/**
 * Trajectory state of {@link HeunDiscreteScheduler}: besides the step index, what the first
 * (Euler) half of a Heun step leaves for the second half. Null between Heun steps.
 */
export interface HeunDiscreteState extends SingleStepSchedulerState {
  /** d = (x − x0)/σ of the Euler half. */
  previousDerivative: Float32Array | null;
  /** σ_next − σ of the Euler half. */
  dt: number | null;
  /** A copy of the sample the Euler half started from. */
  firstOrderSample: Float32Array | null;
}

/**
 * diffusers' `HeunDiscreteScheduler` (Karras et al. 2022, Algorithm 1): two model calls per
 * timestep. Its `timesteps` list every timestep after the first twice
 * (`[t0, t1, t1, t2, t2, …]`, 2N − 1 entries) and `order` is 2, so the shared denoising loop just
 * runs the list: on the first entry of a pair `step` takes the Euler move and remembers its
 * derivative, on the second it evaluates the derivative at the Euler estimate and restarts from
 * the remembered sample with the average (spec §4.4's `strengthTimesteps` multiplies by `order`,
 * so image → image starts on a pair boundary). Deterministic: no noise is drawn.
 */
export class HeunDiscreteScheduler implements Scheduler<HeunDiscreteState> {
  readonly name = 'HeunDiscreteScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<HeunDiscreteConfig>;
  /** Config keys that HeunDiscreteScheduler does not use and ignored. */
  readonly ignoredConfigKeys: readonly string[];
  /** Two model calls per timestep (diffusers' `order`). */
  readonly order = 2;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** σ_t for every training timestep (float32 values). */
  readonly trainingSigmas: Float64Array;
  private schedule: {
    timesteps: number[];
    sigmas: Float64Array;
    steps: number;
    id: number;
    initNoiseSigma: number;
  } | null = null;

  /** @param config - a diffusers `scheduler_config.json` object (see {@link HeunDiscreteConfig}). */
  constructor(config: SchedulerConfigInput = {}) {
    this.options = Object.freeze(resolveHeunDiscreteConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, HEUN_KEYS));
    const o = this.options;
    const { rescale_betas_zero_snr: _unused, ...training } = trainingScheduleRecord(o);
    this.config = Object.freeze({
      ...training,
      prediction_type: o.predictionType,
      use_karras_sigmas: o.useKarrasSigmas,
      use_exponential_sigmas: o.useExponentialSigmas,
      use_beta_sigmas: false,
      clip_sample: o.clipSample,
      clip_sample_range: o.clipSampleRange,
      timestep_spacing: o.timestepSpacing,
      steps_offset: o.stepsOffset,
    });
    const tables = sigmaTrainingTables(o);
    this.betas = tables.betas;
    this.alphasCumprod = tables.alphasCumprod;
    this.trainingSigmas = tables.sigmas;
  }

  /** The model-call timesteps, 2N − 1 of them (float32 values); empty before `setTimesteps`. */
  get timesteps(): readonly number[] {
    return this.schedule?.timesteps ?? [];
  }

  /** N: the number of Heun steps (half the model calls, rounded up). */
  get numInferenceSteps(): number {
    return this.schedule?.steps ?? 0;
  }

  /** σ per model call plus the final 0 (2N values, float32); empty before `setTimesteps`. */
  get sigmas(): Float64Array {
    return this.schedule?.sigmas ?? new Float64Array(0);
  }

  /** σ_max for `linspace`/`trailing`, √(σ_max²+1) for `leading`; 1 before `setTimesteps`. */
  get initNoiseSigma(): number {
    return this.schedule?.initNoiseSigma ?? 1;
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    let timesteps = spacedTimesteps({
      steps,
      spacing: o.timestepSpacing,
      numTrainTimesteps: o.numTrainTimesteps,
      stepsOffset: o.stepsOffset,
      values: 'float32',
    });
    const table = this.trainingSigmas;
    let sigmas = timesteps.map((t) => interpolateSigma(table, t));
    if (o.useKarrasSigmas || o.useExponentialSigmas) {
      const convert = o.useKarrasSigmas ? karrasSigmas : exponentialSigmas;
      sigmas = convert(sigmas[sigmas.length - 1]!, sigmas[0]!, steps);
      const logTable = logSigmas(table);
      timesteps = sigmas.map((sigma) => f32(sigmaToTimestep(sigma, logTable)));
    }
    // σ: [s0, s1, s1, …, s_{N−1}, s_{N−1}, 0]; t: [t0, t1, t1, …, t_{N−1}, t_{N−1}].
    const doubled = new Float64Array(2 * steps);
    const calls: number[] = [timesteps[0]!];
    doubled[0] = f32(sigmas[0]!);
    for (let k = 1; k < steps; k++) {
      doubled[2 * k - 1] = doubled[2 * k] = f32(sigmas[k]!);
      calls.push(timesteps[k]!, timesteps[k]!);
    }
    doubled[2 * steps - 1] = 0;
    const initNoiseSigma = sigmaSpaceInitNoiseSigma(doubled, o.timestepSpacing);
    this.schedule = { timesteps: calls, sigmas: doubled, steps, id: newScheduleId(), initNoiseSigma };
  }

  /**
   * A fresh trajectory state in first-order mode; `beginIndex` (even, from `strengthTimesteps`)
   * starts part-way (img2img, spec §4.4).
   * @default beginIndex 0
   */
  createState(beginIndex = 0): HeunDiscreteState {
    const timesteps = this.timesteps;
    assertScheduleReady(this.name, timesteps, 'createState');
    return {
      stepIndex: checkBeginIndex(beginIndex, timesteps.length),
      scheduleId: this.schedule!.id,
      previousDerivative: null,
      dt: null,
      firstOrderSample: null,
    };
  }

  cloneState(state: HeunDiscreteState): HeunDiscreteState {
    checkSchedulerState(state);
    return {
      stepIndex: state.stepIndex,
      scheduleId: state.scheduleId,
      previousDerivative: state.previousDerivative?.slice() ?? null,
      dt: state.dt,
      firstOrderSample: state.firstOrderSample?.slice() ?? null,
    };
  }

  /** `sample / √(σ²+1)` with σ of `state.stepIndex`, else of `timestep`'s place (second occurrence). */
  scaleModelInput(sample: Tensor<'float32'>, timestep: number, state?: HeunDiscreteState): Tensor<'float32'> {
    assertDtype('sample', sample, 'float32');
    assertScheduleReady(this.name, this.timesteps, 'scaleModelInput');
    const index = state !== undefined ? state.stepIndex : this.indexOf(timestep);
    const result = createTensor('float32', sample.dims);
    scaleBySigma(sample.data, this.sigmaAt(index), result.data);
    return result;
  }

  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: HeunDiscreteState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const schedule = this.schedule;
    const index = checkStepPosition(this.name, this.timesteps, schedule?.id ?? -1, state, timestep);
    const out = prepareStepTensors(modelOutput, sample, sample.dims, options);
    const sigmas = schedule!.sigmas;
    const firstOrder = state.dt === null;
    const size = sample.data.length;
    if (!firstOrder && (state.previousDerivative?.length !== size || state.firstOrderSample?.length !== size)) {
      throw shapeMismatch(
        `The Heun state holds a first half for a different sample than this one of ${size} elements.`,
        'Keep one state per trajectory.',
      );
    }
    // First half: σ → σ_next; second half: evaluated at σ_next for the same pair.
    const sigma = firstOrder ? sigmas[index]! : sigmas[index - 1]!;
    const sigmaNext = firstOrder ? sigmas[index + 1]! : sigmas[index]!;
    const sigmaInput = firstOrder ? sigma : sigmaNext;
    const o = this.options;
    const range = o.clipSample ? o.clipSampleRange : Infinity;
    const squarePlusOne = f32(f32(sigmaInput * sigmaInput) + 1);
    const vFactor = f32(-sigmaInput / f32(Math.sqrt(squarePlusOne)));

    const x = sample.data;
    const m = modelOutput.data;
    const y = out.data;
    const original = options.returnPredOriginalSample === true ? createTensor('float32', sample.dims) : undefined;
    const derivative = firstOrder ? new Float32Array(size) : state.previousDerivative!;
    const from = firstOrder ? x.slice() : state.firstOrderSample!;
    const dt = firstOrder ? f32(sigmaNext - sigma) : state.dt!;
    const divisor = firstOrder ? sigma : sigmaNext;
    for (let i = 0; i < size; i++) {
      const xi = x[i]!;
      let x0: number;
      switch (o.predictionType) {
        case 'epsilon':
          x0 = f32(xi - f32(sigmaInput * m[i]!));
          break;
        case 'v_prediction':
          x0 = f32(f32(m[i]! * vFactor) + f32(xi / squarePlusOne));
          break;
        case 'sample':
          x0 = m[i]!;
          break;
      }
      if (x0 > range) x0 = range;
      else if (x0 < -range) x0 = -range;
      if (original) original.data[i] = x0;
      const d = f32(f32(xi - x0) / divisor);
      if (firstOrder) {
        derivative[i] = d;
        y[i] = f32(xi + f32(d * dt));
      } else {
        const average = f32(f32(derivative[i]! + d) / 2);
        y[i] = f32(from[i]! + f32(average * dt));
      }
    }
    if (firstOrder) {
      state.previousDerivative = derivative;
      state.dt = dt;
      state.firstOrderSample = from;
    } else {
      state.previousDerivative = null;
      state.dt = null;
      state.firstOrderSample = null;
    }
    state.stepIndex = index + 1;
    return original === undefined ? { prevSample: out } : { prevSample: out, predOriginalSample: original };
  }

  /** `x0 + σ_t·z` with σ of `timestep`'s place in the schedule (img2img, spec §4.4). */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    assertScheduleReady(this.name, this.timesteps, 'addNoise');
    return addSigmaNoise(original, noise, this.sigmaAt(this.indexOf(timestep)));
  }

  /** diffusers' `index_for_timestep`: the second occurrence of a repeated timestep. */
  private indexOf(timestep: number): number {
    const first = timestepIndex(this.name, this.timesteps, timestep);
    return this.timesteps[first + 1] === timestep ? first + 1 : first;
  }

  private sigmaAt(index: number): number {
    const sigmas = this.sigmas;
    if (!Number.isInteger(index) || index < 0 || index >= sigmas.length - 1) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `Step index ${describeValue(index)} is outside the ${sigmas.length - 1}-call schedule.`,
        'Use a state created by this scheduler after its last setTimesteps().',
      );
    }
    return sigmas[index]!;
  }
}
