import { invalidArgument } from '../errors/error-constructors.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { thresholdPerSample } from './dynamic-thresholding.js';
import type { Scheduler, SchedulerStepOptions, SchedulerStepResult } from './scheduler.js';
import {
  PREDICTION_TYPES,
  SAMPLE_CLIPPING_KEYS,
  TRAINING_SCHEDULE_KEYS,
  assertSchedulerConfigObject,
  ignoredConfigKeys,
  readBoolean,
  readEnum,
  readNumber,
  readSampleClippingConfig,
  readTrainingScheduleConfig,
  sampleClippingRecord,
  trainingScheduleRecord,
  trainingTables,
  type PredictionType,
  type SampleClippingConfig,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
} from './scheduler-config.js';
import {
  assertScheduleReady,
  checkBeginIndex,
  checkStepPosition,
  checkTrainingTimestep,
  drawStepNoise,
  forwardDiffuse,
  newScheduleId,
  prepareStepTensors,
  checkSchedulerState,
  type SingleStepSchedulerState,
} from './step-checks.js';
import { TIMESTEP_SPACINGS, spacedTimesteps, type TimestepSpacing } from './timestep-spacing.js';

const f32 = Math.fround;

/** The validated configuration of {@link DDIMScheduler}, in camelCase, diffusers defaults filled in. */
export interface DDIMConfig extends TrainingScheduleConfig, SampleClippingConfig {
  /** ᾱ after the last step: 1, or ᾱ₀ when false (spec §3.4). @default true */
  setAlphaToOne: boolean;
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** @default 'leading' */
  timestepSpacing: TimestepSpacing;
  /** @default 0 */
  stepsOffset: number;
}

const DDIM_KEYS = [
  ...TRAINING_SCHEDULE_KEYS,
  ...SAMPLE_CLIPPING_KEYS,
  'set_alpha_to_one',
  'prediction_type',
  'timestep_spacing',
  'steps_offset',
];

/** Reads a diffusers DDIMScheduler config (see `SchedulerConfigInput` for the key policy). */
export function resolveDDIMConfig(config: SchedulerConfigInput): DDIMConfig {
  assertSchedulerConfigObject(config);
  return {
    ...readTrainingScheduleConfig(config),
    ...readSampleClippingConfig(config),
    setAlphaToOne: readBoolean(config, 'set_alpha_to_one', true),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    timestepSpacing: readEnum(config, 'timestep_spacing', 'leading', TIMESTEP_SPACINGS),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
  };
}

/** Sampling options of DDIM that diffusers passes to `step` rather than to the constructor. */
export interface DDIMSamplingOptions {
  /** η: 0 is deterministic DDIM, 1 is DDPM-like ancestral sampling (spec §3.4). @default 0 */
  eta?: number;
  /** Recompute ε from the clipped x0 (spec §3.4). @default false */
  useClippedModelOutput?: boolean;
}

/** Options of {@link DDIMScheduler.step}: the common step options plus per-step η overrides. */
export interface DDIMStepOptions extends SchedulerStepOptions, DDIMSamplingOptions {}

function checkEta(eta: unknown): number {
  if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) {
    throw invalidArgument('eta', eta, 'a number in [0, 1]', 'Use 0 for deterministic DDIM, 1 for DDPM-like sampling.');
  }
  return eta;
}

/**
 * diffusers' `DDIMScheduler` (spec §3.4): `t_prev = t − ⌊T/N⌋` (whatever the spacing, as
 * diffusers), ᾱ_prev = ᾱ[t_prev] or `final_alpha_cumprod` (1 with `set_alpha_to_one`, else ᾱ₀),
 * `σ = η·√((1−ᾱ_prev)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_prev))`,
 * `x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ²)·ε + σ·z`. With η > 0 noise is drawn on every step,
 * including the last, exactly where diffusers draws it.
 */
export class DDIMScheduler implements Scheduler<SingleStepSchedulerState> {
  readonly name = 'DDIMScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<DDIMConfig>;
  /** Config keys that DDIMScheduler does not use and ignored. */
  readonly ignoredConfigKeys: readonly string[];
  readonly initNoiseSigma = 1;
  /** One step per scheduler call (diffusers' `order`). */
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** Default η and ε handling for steps that do not override them. */
  readonly sampling: Readonly<Required<DDIMSamplingOptions>>;
  private readonly finalAlphaCumprod: number;
  private schedule: { timesteps: number[]; id: number } | null = null;

  /**
   * @param config - a diffusers `scheduler_config.json` object (see {@link DDIMConfig}).
   * @param sampling - default η / `useClippedModelOutput` for every step.
   */
  constructor(config: SchedulerConfigInput = {}, sampling: DDIMSamplingOptions = {}) {
    this.options = Object.freeze(resolveDDIMConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, DDIM_KEYS));
    this.config = Object.freeze({
      ...trainingScheduleRecord(this.options),
      ...sampleClippingRecord(this.options),
      set_alpha_to_one: this.options.setAlphaToOne,
      prediction_type: this.options.predictionType,
      timestep_spacing: this.options.timestepSpacing,
      steps_offset: this.options.stepsOffset,
    });
    this.sampling = Object.freeze({
      eta: checkEta(sampling.eta ?? 0),
      useClippedModelOutput: sampling.useClippedModelOutput ?? false,
    });
    const tables = trainingTables(this.options);
    this.betas = tables.betas;
    this.alphasCumprod = tables.alphasCumprod;
    this.finalAlphaCumprod = this.options.setAlphaToOne ? 1 : this.alphasCumprod[0];
  }

  get timesteps(): readonly number[] {
    return this.schedule?.timesteps ?? [];
  }

  get numInferenceSteps(): number {
    return this.schedule?.timesteps.length ?? 0;
  }

  setTimesteps(steps: number): void {
    const timesteps = spacedTimesteps({
      steps,
      spacing: this.options.timestepSpacing,
      numTrainTimesteps: this.options.numTrainTimesteps,
      stepsOffset: this.options.stepsOffset,
    });
    this.schedule = { timesteps, id: newScheduleId() };
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

  /** Identity: DDIM does not scale the model input. */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SingleStepSchedulerState,
    options: DDIMStepOptions = {},
  ): SchedulerStepResult {
    const index = checkStepPosition(this.name, this.timesteps, this.schedule?.id ?? -1, state, timestep);
    const eta = options.eta === undefined ? this.sampling.eta : checkEta(options.eta);
    const useClipped = options.useClippedModelOutput ?? this.sampling.useClippedModelOutput;
    const out = prepareStepTensors(modelOutput, sample, sample.dims, options);
    const count = this.options.numTrainTimesteps;
    const previous = timestep - Math.floor(count / this.numInferenceSteps);

    // Scalars in diffusers' float32 arithmetic.
    const alphaProduct = this.alphasCumprod[timestep];
    const alphaProductPrevious = previous >= 0 ? this.alphasCumprod[previous] : this.finalAlphaCumprod;
    const betaProduct = f32(1 - alphaProduct);
    const rootAlpha = f32(Math.sqrt(alphaProduct));
    const rootBeta = f32(Math.sqrt(betaProduct));
    const variance = f32(
      f32(f32(1 - alphaProductPrevious) / betaProduct) * f32(1 - f32(alphaProduct / alphaProductPrevious)),
    );
    const std = f32(eta * f32(Math.sqrt(variance)));
    const direction = f32(Math.sqrt(f32(f32(1 - alphaProductPrevious) - f32(std * std))));
    const rootAlphaPrevious = f32(Math.sqrt(alphaProductPrevious));

    // x0 = xFactor·x + modelFactor·m; ε = εx·x + εm·m + εc·clip(x0).
    let xFactor: number;
    let modelFactor: number;
    let epsilonX: number;
    let epsilonModel: number;
    switch (this.options.predictionType) {
      case 'epsilon':
        [xFactor, modelFactor, epsilonX, epsilonModel] = [1 / rootAlpha, -rootBeta / rootAlpha, 0, 1];
        break;
      case 'sample':
        [xFactor, modelFactor, epsilonX, epsilonModel] = [0, 1, 1 / rootBeta, -rootAlpha / rootBeta];
        break;
      case 'v_prediction':
        [xFactor, modelFactor, epsilonX, epsilonModel] = [rootAlpha, -rootBeta, rootBeta, rootAlpha];
        break;
    }
    let epsilonOriginal = 0;
    if (useClipped) {
      [epsilonX, epsilonModel, epsilonOriginal] = [1 / rootBeta, 0, -rootAlpha / rootBeta];
    }
    // x_prev = (√ᾱ_prev + d·εc)·x0c + d·εx·x + d·εm·m + σ·z
    const originalFactor = rootAlphaPrevious + direction * epsilonOriginal;
    const sampleFactor = direction * epsilonX;
    const outputFactor = direction * epsilonModel;
    const noise = eta > 0 ? drawStepNoise(this.name, timestep, sample.dims, options) : null;

    const x = sample.data;
    const m = modelOutput.data;
    const y = out.data;
    const size = x.length;
    const range = this.options.clipSample ? this.options.clipSampleRange : Infinity;
    const wantOriginal = options.returnPredOriginalSample === true;
    let predOriginalSample: Tensor<'float32'> | undefined;

    if (!this.options.thresholding && !wantOriginal) {
      fusedDDIMStep(y, x, m, noise, xFactor, modelFactor, range, originalFactor, sampleFactor, outputFactor, std);
    } else {
      let x0: Float32Array;
      if (wantOriginal) {
        predOriginalSample = createTensor('float32', sample.dims);
        x0 = predOriginalSample.data;
      } else {
        x0 = new Float32Array(size);
      }
      for (let i = 0; i < size; i++) x0[i] = xFactor * x[i] + modelFactor * m[i];
      if (this.options.thresholding) {
        const batch = sample.dims.length > 0 ? sample.dims[0] : 1;
        thresholdPerSample(x0, batch, this.options.dynamicThresholdingRatio, this.options.sampleMaxValue);
      } else {
        for (let i = 0; i < size; i++) {
          const v = x0[i];
          x0[i] = v > range ? range : v < -range ? -range : v;
        }
      }
      for (let i = 0; i < size; i++) {
        const z = noise === null ? 0 : std * noise[i];
        y[i] = originalFactor * x0[i] + sampleFactor * x[i] + outputFactor * m[i] + z;
      }
    }
    state.stepIndex = index + 1;
    return predOriginalSample === undefined ? { prevSample: out } : { prevSample: out, predOriginalSample };
  }

  /**
   * The variance of the step from `timestep` to `previousTimestep`, diffusers' `_get_variance`:
   * `(1−ᾱ_prev)/(1−ᾱ_t)·(1 − ᾱ_t/ᾱ_prev)` in float32, with ᾱ_prev the final ᾱ when
   * `previousTimestep` < 0. A step's noise standard deviation is η·√variance.
   * @param previousTimestep - @default timestep − ⌊T/N⌋ of the current schedule (as `step`)
   */
  variance(timestep: number, previousTimestep?: number): number {
    const count = this.options.numTrainTimesteps;
    const t = checkTrainingTimestep(timestep, count);
    if (previousTimestep === undefined) assertScheduleReady(this.name, this.timesteps, 'variance');
    const previous = previousTimestep ?? t - Math.floor(count / this.numInferenceSteps);
    if (typeof previous !== 'number' || !Number.isInteger(previous) || previous >= count) {
      throw invalidArgument('previousTimestep', previous, `an integer below ${count}`, 'Pass the next timestep of the schedule, or a negative one for the final step.');
    }
    const alphaProduct = this.alphasCumprod[t]!;
    const alphaProductPrevious = previous >= 0 ? this.alphasCumprod[previous]! : this.finalAlphaCumprod;
    return f32(
      f32(f32(1 - alphaProductPrevious) / f32(1 - alphaProduct)) * f32(1 - f32(alphaProduct / alphaProductPrevious)),
    );
  }

  /** Forward diffusion `√ᾱ_t·x0 + √(1−ᾱ_t)·z` (img2img, spec §4.4). */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    const t = checkTrainingTimestep(timestep, this.options.numTrainTimesteps);
    return forwardDiffuse(original, noise, this.alphasCumprod[t]);
  }
}

/**
 * `y = a·clip(p·x + q·m, ±range) + b·x + c·m + std·z` in one pass (z omitted when null); small
 * and monomorphic so V8 optimises it early. `y` may alias `x` or `m`.
 */
function fusedDDIMStep(
  y: Float32Array,
  x: Float32Array,
  m: Float32Array,
  z: Float32Array | null,
  xFactor: number,
  modelFactor: number,
  range: number,
  originalFactor: number,
  sampleFactor: number,
  outputFactor: number,
  std: number,
): void {
  const size = y.length;
  const low = -range;
  if (z === null) {
    for (let i = 0; i < size; i++) {
      const xi = x[i];
      const mi = m[i];
      let x0 = xFactor * xi + modelFactor * mi;
      x0 = x0 > range ? range : x0 < low ? low : x0;
      y[i] = originalFactor * x0 + sampleFactor * xi + outputFactor * mi;
    }
  } else {
    for (let i = 0; i < size; i++) {
      const xi = x[i];
      const mi = m[i];
      let x0 = xFactor * xi + modelFactor * mi;
      x0 = x0 > range ? range : x0 < low ? low : x0;
      y[i] = originalFactor * x0 + sampleFactor * xi + outputFactor * mi + std * z[i];
    }
  }
}
