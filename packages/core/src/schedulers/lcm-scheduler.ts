import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
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
import { TIMESTEP_SPACINGS, numpyLinspace, type TimestepSpacing } from './timestep-spacing.js';

const f32 = Math.fround;

/** σ_data of the consistency-model boundary condition (diffusers' LCMScheduler). */
const SIGMA_DATA = 0.5;

/** The validated configuration of {@link LCMScheduler}, in camelCase, diffusers defaults filled in. */
export interface LCMConfig extends TrainingScheduleConfig, SampleClippingConfig {
  /** Length of the distillation schedule the inference timesteps are taken from. @default 50 */
  originalInferenceSteps: number;
  /** ᾱ after the last step: 1, or ᾱ₀ when false. @default true */
  setAlphaToOne: boolean;
  /** Accepted (diffusers stores it) but unused: LCM spaces its own timesteps. @default 0 */
  stepsOffset: number;
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** Accepted (diffusers stores it) but unused, as in diffusers. @default 'leading' */
  timestepSpacing: TimestepSpacing;
  /** t is multiplied by this in the boundary condition c_skip, c_out. @default 10 */
  timestepScaling: number;
}

const LCM_KEYS = [
  ...TRAINING_SCHEDULE_KEYS,
  ...SAMPLE_CLIPPING_KEYS,
  'original_inference_steps',
  'set_alpha_to_one',
  'steps_offset',
  'prediction_type',
  'timestep_spacing',
  'timestep_scaling',
];

/** Reads a diffusers LCMScheduler config (see `SchedulerConfigInput` for the key policy). */
export function resolveLCMConfig(config: SchedulerConfigInput): LCMConfig {
  assertSchedulerConfigObject(config);
  const training = readTrainingScheduleConfig(config, {
    betaStart: 0.00085,
    betaEnd: 0.012,
    betaSchedule: 'scaled_linear',
  });
  return {
    ...training,
    ...readSampleClippingConfig(config, { clipSample: false }),
    // Above num_train_timesteps it still loads, as in diffusers; setTimesteps refuses it.
    originalInferenceSteps: readNumber(config, 'original_inference_steps', 50, { integer: true, minimum: 1 }),
    setAlphaToOne: readBoolean(config, 'set_alpha_to_one', true),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    timestepSpacing: readEnum(config, 'timestep_spacing', 'leading', TIMESTEP_SPACINGS),
    timestepScaling: readNumber(config, 'timestep_scaling', 10),
  };
}

/**
 * diffusers' `LCMScheduler` (Latent Consistency Models, Luo et al. 2023): each step predicts x0,
 * applies the consistency boundary condition `denoised = c_out·x0 + c_skip·x` with
 * `c_skip = σ_d²/((s·t)² + σ_d²)`, `c_out = s·t/√((s·t)² + σ_d²)`, then re-noises to the next
 * timestep, `x_prev = √ᾱ_prev·denoised + √(1−ᾱ_prev)·z`, with z drawn from `options.generator`
 * on every step but the last (the last returns `denoised`), as diffusers draws it.
 *
 * Timesteps: the distillation schedule `(1…⌊original·strength⌋)·⌊T/original⌋ − 1`, reversed, at
 * `floor(linspace(0, len, N, endpoint=False))` (e.g. N = 4 → 999, 759, 499, 259).
 */
export class LCMScheduler implements Scheduler<SingleStepSchedulerState> {
  readonly name = 'LCMScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<LCMConfig>;
  /** Config keys that LCMScheduler does not use and ignored. */
  readonly ignoredConfigKeys: readonly string[];
  readonly initNoiseSigma = 1;
  /** One model call per step (diffusers' `order`). */
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private schedule: { timesteps: number[]; id: number } | null = null;

  /** @param config - a diffusers `scheduler_config.json` object (see {@link LCMConfig}). */
  constructor(config: SchedulerConfigInput = {}) {
    this.options = Object.freeze(resolveLCMConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, LCM_KEYS));
    const o = this.options;
    this.config = Object.freeze({
      ...trainingScheduleRecord(o),
      ...sampleClippingRecord(o),
      original_inference_steps: o.originalInferenceSteps,
      set_alpha_to_one: o.setAlphaToOne,
      steps_offset: o.stepsOffset,
      prediction_type: o.predictionType,
      timestep_spacing: o.timestepSpacing,
      timestep_scaling: o.timestepScaling,
    });
    const tables = trainingTables(o);
    this.betas = tables.betas;
    this.alphasCumprod = tables.alphasCumprod;
    this.finalAlphaCumprod = o.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  get timesteps(): readonly number[] {
    return this.schedule?.timesteps ?? [];
  }

  get numInferenceSteps(): number {
    return this.schedule?.timesteps.length ?? 0;
  }

  /**
   * Builds the LCM schedule. `strength` shortens the distillation schedule as diffusers' LCM
   * image → image pipeline does; the shared image → image pipeline instead takes the tail of the
   * full schedule (diffusers' generic `get_timesteps`), which also works.
   * @param strength - fraction of the distillation schedule to use. @default 1
   */
  setTimesteps(steps: number, strength = 1): void {
    const o = this.options;
    const original = o.originalInferenceSteps;
    if (original > o.numTrainTimesteps) {
      throw kandinskyError(
        'INVALID_STEPS',
        `original_inference_steps ${original} exceeds num_train_timesteps ${o.numTrainTimesteps}: there is no distillation schedule to take steps from.`,
        'Set original_inference_steps to at most num_train_timesteps (LCM models use 50).',
        { originalInferenceSteps: original, numTrainTimesteps: o.numTrainTimesteps },
      );
    }
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > original) {
      throw kandinskyError(
        'INVALID_STEPS',
        `LCM steps must be an integer in [1, ${original}] (original_inference_steps), got ${describeValue(steps)}.`,
        'LCM models use 1–8 steps; more steps cannot exceed the distillation schedule.',
        { steps, originalInferenceSteps: original },
      );
    }
    if (typeof strength !== 'number' || !(strength > 0 && strength <= 1)) {
      throw kandinskyError(
        'INVALID_STRENGTH',
        `LCM strength must be a number in (0, 1], got ${describeValue(strength)}.`,
        'Pass the image → image strength, or leave it out for text → image.',
        { strength },
      );
    }
    const skip = Math.floor(o.numTrainTimesteps / original);
    const length = Math.floor(original * strength);
    if (Math.floor(length / steps) < 1) {
      throw kandinskyError(
        'INVALID_STEPS',
        `${steps} LCM steps need at least ${steps} distillation timesteps, but original_inference_steps × strength gives ${length}.`,
        `Use at most ${length} steps, or a higher strength.`,
        { steps, originalInferenceSteps: original, strength },
      );
    }
    // The distillation timesteps, descending: length·skip − 1, …, 2·skip − 1, skip − 1.
    const origin = Array.from({ length }, (_, i) => (length - i) * skip - 1);
    const timesteps = numpyLinspace(0, length, steps + 1)
      .slice(0, steps)
      .map((position) => origin[Math.floor(position)]!);
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

  /** Identity: LCM does not scale the model input. */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  /** Steps; `predOriginalSample` is diffusers' `denoised` (x0 after the boundary condition). */
  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SingleStepSchedulerState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const timesteps = this.timesteps;
    const index = checkStepPosition(this.name, timesteps, this.schedule?.id ?? -1, state, timestep);
    const out = prepareStepTensors(modelOutput, sample, sample.dims, options);
    const o = this.options;
    const last = index === timesteps.length - 1;
    const previous = last ? timestep : timesteps[index + 1]!;
    const alphaProduct = this.alphasCumprod[timestep]!;
    const alphaProductPrevious = previous >= 0 ? this.alphasCumprod[previous]! : this.finalAlphaCumprod;
    const rootAlpha = f32(Math.sqrt(alphaProduct));
    const rootBeta = f32(Math.sqrt(f32(1 - alphaProduct)));
    // Boundary condition in float32, as diffusers' tensor arithmetic.
    const scaled = f32(timestep * o.timestepScaling);
    const scaledSquare = f32(f32(scaled * scaled) + SIGMA_DATA ** 2);
    const skip = f32(SIGMA_DATA ** 2 / scaledSquare);
    const output = f32(scaled / f32(Math.sqrt(scaledSquare)));
    const noise = last ? null : drawStepNoise(this.name, timestep, sample.dims, options);
    const noiseScale = f32(Math.sqrt(f32(1 - alphaProductPrevious)));
    const signalScale = f32(Math.sqrt(alphaProductPrevious));

    const x = sample.data;
    const m = modelOutput.data;
    const size = x.length;
    // x0 first (thresholding needs all of it), then the boundary condition and re-noising.
    const denoised = createTensor('float32', sample.dims);
    const x0 = denoised.data;
    for (let i = 0; i < size; i++) {
      switch (o.predictionType) {
        case 'epsilon':
          x0[i] = f32(x[i]! - f32(rootBeta * m[i]!)) / rootAlpha;
          break;
        case 'sample':
          x0[i] = m[i]!;
          break;
        case 'v_prediction':
          x0[i] = f32(rootAlpha * x[i]!) - f32(rootBeta * m[i]!);
          break;
      }
    }
    if (o.thresholding) {
      thresholdPerSample(x0, sample.dims[0] ?? 1, o.dynamicThresholdingRatio, o.sampleMaxValue);
    } else if (o.clipSample) {
      const range = o.clipSampleRange;
      for (let i = 0; i < size; i++) x0[i] = Math.min(Math.max(x0[i]!, -range), range);
    }
    const y = out.data;
    for (let i = 0; i < size; i++) {
      const value = f32(f32(output * x0[i]!) + f32(skip * x[i]!));
      x0[i] = value;
      y[i] = noise === null ? value : f32(signalScale * value) + f32(noiseScale * noise[i]!);
    }
    state.stepIndex = index + 1;
    return options.returnPredOriginalSample === true ? { prevSample: out, predOriginalSample: denoised } : { prevSample: out };
  }

  /** Forward diffusion `√ᾱ_t·x0 + √(1−ᾱ_t)·z` (img2img, spec §4.4). */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    const t = checkTrainingTimestep(timestep, this.options.numTrainTimesteps);
    return forwardDiffuse(original, noise, this.alphasCumprod[t]!);
  }
}
