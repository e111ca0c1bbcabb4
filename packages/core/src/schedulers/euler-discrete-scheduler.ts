import { addSigmaNoise, timestepIndex } from './sigma-noise.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, invalidSchedulerConfig, kandinskyError } from '../errors/error-constructors.js';
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
  readOptionalNumber,
  readTrainingScheduleConfig,
  rejectEnabled,
  trainingScheduleRecord,
  type PredictionType,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
} from './scheduler-config.js';
import {
  assertScheduleReady,
  checkBeginIndex,
  checkStepPosition,
  drawStepNoise,
  newScheduleId,
  prepareStepTensors,
  checkSchedulerState,
  type SingleStepSchedulerState,
} from './step-checks.js';
import { exponentialSigmas, interpolateSigma, karrasSigmas, logSigmas, sigmaToTimestep, sigmaTrainingTables } from './sigma-schedule.js';
import { TIMESTEP_SPACINGS, spacedTimesteps, type TimestepSpacing } from './timestep-spacing.js';

const f32 = Math.fround;

/** The validated configuration of {@link EulerDiscreteScheduler}, in camelCase. */
export interface EulerDiscreteConfig extends TrainingScheduleConfig {
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** Only `linear` interpolation of σ over t is implemented. @default 'linear' */
  interpolationType: 'linear';
  /** Karras et al. (2022) σ spacing with ρ = 7. @default false */
  useKarrasSigmas: boolean;
  /** σ uniform in log space between the same ends as Karras. @default false */
  useExponentialSigmas: boolean;
  /** Lower end of the Karras σ range; null = the schedule's smallest σ. @default null */
  sigmaMin: number | null;
  /** Upper end of the Karras σ range; null = the schedule's largest σ. @default null */
  sigmaMax: number | null;
  /** @default 'linspace' */
  timestepSpacing: TimestepSpacing;
  /** `continuous` (with v_prediction) feeds 0.25·ln σ to the model. @default 'discrete' */
  timestepType: 'discrete' | 'continuous';
  /** @default 0 */
  stepsOffset: number;
  /** σ after the last step: 0, or the schedule's smallest σ. @default 'zero' */
  finalSigmasType: 'zero' | 'sigma_min';
}

const EULER_KEYS = [
  ...TRAINING_SCHEDULE_KEYS,
  'prediction_type',
  'interpolation_type',
  'use_karras_sigmas',
  'use_exponential_sigmas',
  'use_beta_sigmas',
  'sigma_min',
  'sigma_max',
  'timestep_spacing',
  'timestep_type',
  'steps_offset',
  'final_sigmas_type',
];

/** Reads a diffusers EulerDiscreteScheduler config (see `SchedulerConfigInput` for the key policy). */
export function resolveEulerDiscreteConfig(config: SchedulerConfigInput): EulerDiscreteConfig {
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
    ...readTrainingScheduleConfig(config),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    interpolationType: readEnum(config, 'interpolation_type', 'linear', ['linear'] as const, ['linear', 'log_linear']),
    useKarrasSigmas,
    useExponentialSigmas,
    sigmaMin: readOptionalNumber(config, 'sigma_min', { greaterThan: 0 }),
    sigmaMax: readOptionalNumber(config, 'sigma_max', { greaterThan: 0 }),
    timestepSpacing: readEnum(config, 'timestep_spacing', 'linspace', TIMESTEP_SPACINGS),
    timestepType: readEnum(config, 'timestep_type', 'discrete', ['discrete', 'continuous'] as const),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
    finalSigmasType: readEnum(config, 'final_sigmas_type', 'zero', ['zero', 'sigma_min'] as const),
  };
}

/** Stochastic "churn" of Karras et al. (2022) Algorithm 2, diffusers' `s_churn` etc. */
export interface EulerChurnOptions {
  /** diffusers' `s_churn`: 0 gives the deterministic Euler step. @default 0 */
  churn?: number;
  /** diffusers' `s_tmin`: churn only where σ ≥ this. @default 0 */
  churnMinSigma?: number;
  /** diffusers' `s_tmax`: churn only where σ ≤ this. @default Infinity */
  churnMaxSigma?: number;
  /** diffusers' `s_noise`: scale of the churn noise. @default 1 */
  churnNoiseScale?: number;
}

/** Options of {@link EulerDiscreteScheduler.step}. */
export interface EulerStepOptions extends SchedulerStepOptions, EulerChurnOptions {}

/**
 * diffusers' `EulerDiscreteScheduler` (Karras et al. 2022, Algorithm 2): works in σ space,
 * σ_t = √((1−ᾱ_t)/ᾱ_t) interpolated at the (fractional) inference timesteps, so the initial noise
 * is scaled by {@link initNoiseSigma} and the model input by 1/√(σ²+1) ({@link scaleModelInput}).
 * Step: `x0` from the prediction type, `d = (x − x0)/σ̂`, `x_next = x + d·(σ_next − σ̂)`; no
 * clipping. Timesteps are float32 values (e.g. 978.6122 with `linspace`), as diffusers feeds them
 * to the model.
 */
export class EulerDiscreteScheduler implements Scheduler<SingleStepSchedulerState> {
  readonly name = 'EulerDiscreteScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<EulerDiscreteConfig>;
  /** Config keys that EulerDiscreteScheduler does not use and ignored. */
  readonly ignoredConfigKeys: readonly string[];
  /** One step per scheduler call (diffusers' `order`). */
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** σ_t for every training timestep (float32 values). */
  readonly trainingSigmas: Float64Array;
  private schedule: { timesteps: number[]; sigmas: Float64Array; id: number; initNoiseSigma: number } | null =
    null;

  /** @param config - a diffusers `scheduler_config.json` object (see {@link EulerDiscreteConfig}). */
  constructor(config: SchedulerConfigInput = {}) {
    this.options = Object.freeze(resolveEulerDiscreteConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, EULER_KEYS));
    const o = this.options;
    this.config = Object.freeze({
      ...trainingScheduleRecord(o),
      prediction_type: o.predictionType,
      interpolation_type: o.interpolationType,
      use_karras_sigmas: o.useKarrasSigmas,
      use_exponential_sigmas: o.useExponentialSigmas,
      use_beta_sigmas: false,
      sigma_min: o.sigmaMin,
      sigma_max: o.sigmaMax,
      timestep_spacing: o.timestepSpacing,
      timestep_type: o.timestepType,
      steps_offset: o.stepsOffset,
      final_sigmas_type: o.finalSigmasType,
    });
    const tables = sigmaTrainingTables(o);
    this.betas = tables.betas;
    this.alphasCumprod = tables.alphasCumprod;
    this.trainingSigmas = tables.sigmas;
  }

  get timesteps(): readonly number[] {
    return this.schedule?.timesteps ?? [];
  }

  get numInferenceSteps(): number {
    return this.schedule?.timesteps.length ?? 0;
  }

  /** σ per step plus the final σ (float32 values); empty before `setTimesteps`. */
  get sigmas(): Float64Array {
    return this.schedule?.sigmas ?? new Float64Array(0);
  }

  /**
   * Standard deviation of the initial noise: σ_max for `linspace`/`trailing`, √(σ_max²+1) for
   * `leading` (as diffusers). 1 before `setTimesteps`.
   */
  get initNoiseSigma(): number {
    return this.schedule?.initNoiseSigma ?? 1;
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    const count = o.numTrainTimesteps;
    let timesteps = spacedTimesteps({
      steps,
      spacing: o.timestepSpacing,
      numTrainTimesteps: count,
      stepsOffset: o.stepsOffset,
      values: 'float32',
    });
    const table = this.trainingSigmas;
    let sigmas = timesteps.map((t) => interpolateSigma(table, t));
    if (o.useKarrasSigmas || o.useExponentialSigmas) {
      const logTable = logSigmas(table);
      const sigmaMin = o.sigmaMin ?? sigmas[sigmas.length - 1];
      const sigmaMax = o.sigmaMax ?? sigmas[0];
      sigmas = o.useKarrasSigmas ? karrasSigmas(sigmaMin, sigmaMax, steps) : exponentialSigmas(sigmaMin, sigmaMax, steps);
      timesteps = sigmas.map((sigma) => f32(sigmaToTimestep(sigma, logTable)));
    }
    const finalSigma = o.finalSigmasType === 'sigma_min' ? table[0] : 0;
    const sigmaTable = new Float64Array(steps + 1);
    for (let i = 0; i < steps; i++) sigmaTable[i] = f32(sigmas[i]);
    sigmaTable[steps] = f32(finalSigma);
    if (o.timestepType === 'continuous' && o.predictionType === 'v_prediction') {
      timesteps = Array.from(sigmaTable.subarray(0, steps), (sigma) => f32(0.25 * f32(Math.log(sigma))));
    }
    let maxSigma = 0;
    for (const sigma of sigmaTable) if (sigma > maxSigma) maxSigma = sigma;
    const initNoiseSigma =
      o.timestepSpacing === 'leading' ? f32(Math.sqrt(f32(f32(maxSigma * maxSigma) + 1))) : maxSigma;
    this.schedule = { timesteps, sigmas: sigmaTable, id: newScheduleId(), initNoiseSigma };
  }

  /**
   * A fresh trajectory state; `beginIndex` starts part-way (img2img, spec §4.4).
   * @default beginIndex 0
   */
  createState(beginIndex = 0): SingleStepSchedulerState {
    const timesteps = this.timesteps;
    assertScheduleReady(this.name, timesteps, 'createState');
    return { stepIndex: checkBeginIndex(beginIndex, timesteps.length), scheduleId: this.schedule!.id };
  }

  cloneState(state: SingleStepSchedulerState): SingleStepSchedulerState {
    checkSchedulerState(state);
    return { stepIndex: state.stepIndex, scheduleId: state.scheduleId };
  }

  /**
   * `sample / √(σ²+1)` for the current step: σ of `state.stepIndex` when a state is given, else of
   * the first occurrence of `timestep` in the schedule (diffusers' lookup).
   */
  scaleModelInput(sample: Tensor<'float32'>, timestep: number, state?: SingleStepSchedulerState): Tensor<'float32'> {
    assertDtype('sample', sample, 'float32');
    assertScheduleReady(this.name, this.timesteps, 'scaleModelInput');
    const index = state !== undefined ? state.stepIndex : this.indexOf(timestep);
    const sigma = this.sigmaAt(index);
    const scale = 1 / f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
    const result = createTensor('float32', sample.dims);
    const x = sample.data;
    const y = result.data;
    for (let i = 0; i < y.length; i++) y[i] = x[i] * scale;
    return result;
  }

  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SingleStepSchedulerState,
    options: EulerStepOptions = {},
  ): SchedulerStepResult {
    const schedule = this.schedule;
    const index = checkStepPosition(this.name, this.timesteps, schedule?.id ?? -1, state, timestep);
    const out = prepareStepTensors(modelOutput, sample, sample.dims, options);
    const sigmas = schedule!.sigmas;
    const sigma = sigmas[index];
    const { churn = 0, churnMinSigma = 0, churnMaxSigma = Infinity, churnNoiseScale = 1 } = options;
    for (const [key, value] of Object.entries({ churn, churnMinSigma, churnNoiseScale })) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        const hint = 'Leave the churn options out for the deterministic Euler step.';
        throw invalidArgument(key, value, 'a finite number ≥ 0', hint);
      }
    }
    const gamma =
      churnMinSigma <= sigma && sigma <= churnMaxSigma ? Math.min(churn / (sigmas.length - 1), Math.SQRT2 - 1) : 0;
    const sigmaHat = f32(sigma * f32(gamma + 1));
    const noise = gamma > 0 ? drawStepNoise(this.name, timestep, sample.dims, options) : null;
    const churnScale =
      noise === null ? 0 : f32(churnNoiseScale) * f32(Math.sqrt(f32(f32(sigmaHat * sigmaHat) - f32(sigma * sigma))));

    // x0 = xFactor·x̂ + modelFactor·m, then x_next = x̂ + (x̂ − x0)·dt/σ̂.
    let xFactor: number;
    let modelFactor: number;
    switch (this.options.predictionType) {
      case 'epsilon':
        [xFactor, modelFactor] = [1, -sigmaHat];
        break;
      case 'sample':
        [xFactor, modelFactor] = [0, 1];
        break;
      case 'v_prediction': {
        const squarePlusOne = f32(f32(sigma * sigma) + 1);
        [xFactor, modelFactor] = [1 / squarePlusOne, -sigma / f32(Math.sqrt(squarePlusOne))];
        break;
      }
    }
    const ratio = f32(sigmas[index + 1] - sigmaHat) / sigmaHat;
    const sampleFactor = 1 + ratio - ratio * xFactor;
    const outputFactor = -ratio * modelFactor;

    const x = sample.data;
    const m = modelOutput.data;
    const y = out.data;
    const size = x.length;
    let predOriginalSample: Tensor<'float32'> | undefined;
    if (options.returnPredOriginalSample === true) {
      predOriginalSample = createTensor('float32', sample.dims);
      const x0 = predOriginalSample.data;
      for (let i = 0; i < size; i++) {
        const xi = noise === null ? x[i] : x[i] + churnScale * noise[i];
        x0[i] = xFactor * xi + modelFactor * m[i];
      }
    }
    if (noise === null) {
      for (let i = 0; i < size; i++) y[i] = sampleFactor * x[i] + outputFactor * m[i];
    } else {
      for (let i = 0; i < size; i++) {
        const xi = f32(x[i] + churnScale * noise[i]);
        y[i] = sampleFactor * xi + outputFactor * m[i];
      }
    }
    state.stepIndex = index + 1;
    return predOriginalSample === undefined ? { prevSample: out } : { prevSample: out, predOriginalSample };
  }

  /**
   * `x0 + σ_t·z` with σ of `timestep`'s position in the current schedule (diffusers' Euler
   * `add_noise`, img2img spec §4.4).
   */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    assertScheduleReady(this.name, this.timesteps, 'addNoise');
    return addSigmaNoise(original, noise, this.sigmaAt(this.indexOf(timestep)));
  }

  private indexOf(timestep: number): number {
    return timestepIndex(this.name, this.timesteps, timestep);
  }

  private sigmaAt(index: number): number {
    const sigmas = this.sigmas;
    if (!Number.isInteger(index) || index < 0 || index >= sigmas.length - 1) {
      throw kandinskyError(
        'SCHEDULER_STATE',
        `Step index ${describeValue(index)} is outside the ${sigmas.length - 1}-step schedule.`,
        'Use a state created by this scheduler after its last setTimesteps().',
      );
    }
    return sigmas[index];
  }
}

