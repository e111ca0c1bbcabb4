import { addSigmaNoise, timestepIndex } from './sigma-noise.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig, kandinskyError } from '../errors/error-constructors.js';
import { assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import type { Scheduler, SchedulerStepOptions, SchedulerStepResult } from './scheduler.js';
import {
  PREDICTION_TYPES,
  TRAINING_SCHEDULE_KEYS,
  assertSchedulerConfigObject,
  ignoredConfigKeys,
  readEnum,
  readNumber,
  readTrainingScheduleConfig,
  trainingScheduleRecord,
  type PredictionType,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
} from './scheduler-config.js';
import {
  interpolateSigma,
  scaleBySigma,
  sigmaSpaceInitNoiseSigma,
  sigmaTrainingTables,
} from './sigma-schedule.js';
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
import { TIMESTEP_SPACINGS, spacedTimesteps, type TimestepSpacing } from './timestep-spacing.js';

const f32 = Math.fround;

/** The validated configuration of {@link EulerAncestralDiscreteScheduler}, in camelCase. */
export interface EulerAncestralDiscreteConfig extends TrainingScheduleConfig {
  /**
   * `epsilon` or `v_prediction`; `sample` loads (as in diffusers) but `step` refuses it, since
   * diffusers does not implement it for this scheduler.
   * @default 'epsilon'
   */
  predictionType: PredictionType;
  /** @default 'linspace' */
  timestepSpacing: TimestepSpacing;
  /** @default 0 */
  stepsOffset: number;
}

const EULER_ANCESTRAL_KEYS = [...TRAINING_SCHEDULE_KEYS, 'prediction_type', 'timestep_spacing', 'steps_offset'];

/** Reads a diffusers EulerAncestralDiscreteScheduler config (see `SchedulerConfigInput` for the key policy). */
export function resolveEulerAncestralDiscreteConfig(config: SchedulerConfigInput): EulerAncestralDiscreteConfig {
  assertSchedulerConfigObject(config);
  return {
    ...readTrainingScheduleConfig(config),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    timestepSpacing: readEnum(config, 'timestep_spacing', 'linspace', TIMESTEP_SPACINGS),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
  };
}

/**
 * diffusers' `EulerAncestralDiscreteScheduler` ("Euler a"; k-diffusion's `sample_euler_ancestral`):
 * σ-space like {@link EulerDiscreteScheduler} (initial noise × {@link initNoiseSigma}, model input
 * ÷ √(σ²+1)), with each step split into a deterministic Euler move down to
 * σ_down = √(σ_next² − σ_up²) and fresh noise of standard deviation
 * σ_up = √(σ_next²·(σ² − σ_next²)/σ²). One `randn` of the sample's shape is drawn from
 * `options.generator` on **every** step, the last included (where σ_up = 0), exactly as diffusers
 * draws it, so a seed gives PyTorch's trajectory.
 */
export class EulerAncestralDiscreteScheduler implements Scheduler<SingleStepSchedulerState> {
  readonly name = 'EulerAncestralDiscreteScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<EulerAncestralDiscreteConfig>;
  /** Config keys that EulerAncestralDiscreteScheduler does not use and ignored. */
  readonly ignoredConfigKeys: readonly string[];
  /** One model call per step (diffusers' `order`). */
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** σ_t for every training timestep (float32 values). */
  readonly trainingSigmas: Float64Array;
  private schedule: { timesteps: number[]; sigmas: Float64Array; id: number; initNoiseSigma: number } | null =
    null;

  /** @param config - a diffusers `scheduler_config.json` object (see {@link EulerAncestralDiscreteConfig}). */
  constructor(config: SchedulerConfigInput = {}) {
    this.options = Object.freeze(resolveEulerAncestralDiscreteConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, EULER_ANCESTRAL_KEYS));
    const o = this.options;
    this.config = Object.freeze({
      ...trainingScheduleRecord(o),
      prediction_type: o.predictionType,
      timestep_spacing: o.timestepSpacing,
      steps_offset: o.stepsOffset,
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

  /** σ per step plus the final 0 (float32 values); empty before `setTimesteps`. */
  get sigmas(): Float64Array {
    return this.schedule?.sigmas ?? new Float64Array(0);
  }

  /** σ_max for `linspace`/`trailing`, √(σ_max²+1) for `leading`; 1 before `setTimesteps`. */
  get initNoiseSigma(): number {
    return this.schedule?.initNoiseSigma ?? 1;
  }

  setTimesteps(steps: number): void {
    const o = this.options;
    const timesteps = spacedTimesteps({
      steps,
      spacing: o.timestepSpacing,
      numTrainTimesteps: o.numTrainTimesteps,
      stepsOffset: o.stepsOffset,
      values: 'float32',
    });
    const sigmas = new Float64Array(steps + 1);
    for (let i = 0; i < steps; i++) sigmas[i] = f32(interpolateSigma(this.trainingSigmas, timesteps[i]!));
    const initNoiseSigma = sigmaSpaceInitNoiseSigma(sigmas, o.timestepSpacing);
    this.schedule = { timesteps, sigmas, id: newScheduleId(), initNoiseSigma };
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

  /** `sample / √(σ²+1)` with σ of `state.stepIndex`, else of `timestep`'s place in the schedule. */
  scaleModelInput(sample: Tensor<'float32'>, timestep: number, state?: SingleStepSchedulerState): Tensor<'float32'> {
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
    state: SingleStepSchedulerState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const schedule = this.schedule;
    const index = checkStepPosition(this.name, this.timesteps, schedule?.id ?? -1, state, timestep);
    const prediction = this.options.predictionType;
    if (prediction === 'sample') {
      throw invalidSchedulerConfig(
        'prediction_type',
        prediction,
        'EulerAncestralDiscreteScheduler cannot step a "sample" prediction (diffusers does not implement it either).',
        'Use prediction_type "epsilon" or "v_prediction", or another scheduler such as "EulerDiscreteScheduler".',
      );
    }
    const out = prepareStepTensors(modelOutput, sample, sample.dims, options);
    const sigmas = schedule!.sigmas;
    const sigma = sigmas[index]!;
    const next = sigmas[index + 1]!;
    // float32 scalars, as diffusers' 0-dim tensors.
    const sigmaSquared = f32(sigma * sigma);
    const nextSquared = f32(next * next);
    const sigmaUp = f32(Math.sqrt(f32(f32(nextSquared * f32(sigmaSquared - nextSquared)) / sigmaSquared)));
    const sigmaDown = f32(Math.sqrt(f32(nextSquared - f32(sigmaUp * sigmaUp))));
    const dt = f32(sigmaDown - sigma);
    const noise = drawStepNoise(this.name, timestep, sample.dims, options);

    const x = sample.data;
    const m = modelOutput.data;
    const y = out.data;
    const size = x.length;
    const wantOriginal = options.returnPredOriginalSample === true;
    const original = wantOriginal ? createTensor('float32', sample.dims) : undefined;
    const x0Data = original?.data;
    if (prediction === 'epsilon') {
      for (let i = 0; i < size; i++) {
        const xi = x[i]!;
        const x0 = f32(xi - f32(sigma * m[i]!));
        if (x0Data) x0Data[i] = x0;
        const derivative = f32(f32(xi - x0) / sigma);
        y[i] = f32(xi + f32(derivative * dt)) + f32(noise[i]! * sigmaUp);
      }
    } else {
      const squarePlusOne = f32(sigmaSquared + 1);
      const outputFactor = f32(-sigma / f32(Math.sqrt(squarePlusOne)));
      for (let i = 0; i < size; i++) {
        const xi = x[i]!;
        const x0 = f32(f32(m[i]! * outputFactor) + f32(xi / squarePlusOne));
        if (x0Data) x0Data[i] = x0;
        const derivative = f32(f32(xi - x0) / sigma);
        y[i] = f32(xi + f32(derivative * dt)) + f32(noise[i]! * sigmaUp);
      }
    }
    state.stepIndex = index + 1;
    return original === undefined ? { prevSample: out } : { prevSample: out, predOriginalSample: original };
  }

  /** `x0 + σ_t·z` with σ of `timestep`'s place in the schedule (img2img, spec §4.4). */
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
    return sigmas[index]!;
  }
}
