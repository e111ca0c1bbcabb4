import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { thresholdPerSample } from './dynamic-thresholding.js';
import type { Scheduler, SchedulerStepOptions, SchedulerStepResult } from './scheduler.js';
import {
  PREDICTION_TYPES,
  SAMPLE_CLIPPING_KEYS,
  TRAINING_SCHEDULE_KEYS,
  assertSchedulerConfigObject,
  ignoredConfigKeys,
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

/** How DDPM chooses the variance of the noise it adds (diffusers' `variance_type`). */
export type DDPMVarianceType =
  | 'fixed_small'
  | 'fixed_small_log'
  | 'fixed_large'
  | 'fixed_large_log'
  | 'learned'
  | 'learned_range';

/** Accepted {@link DDPMVarianceType} values. */
export const DDPM_VARIANCE_TYPES: readonly DDPMVarianceType[] = [
  'fixed_small',
  'fixed_small_log',
  'fixed_large',
  'fixed_large_log',
  'learned',
  'learned_range',
];

/** The validated configuration of {@link DDPMScheduler}, in camelCase, diffusers defaults filled in. */
export interface DDPMConfig extends TrainingScheduleConfig, SampleClippingConfig {
  /** @default 'fixed_small' */
  varianceType: DDPMVarianceType;
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** @default 'leading' */
  timestepSpacing: TimestepSpacing;
  /** @default 0 */
  stepsOffset: number;
}

const DDPM_KEYS = [
  ...TRAINING_SCHEDULE_KEYS,
  ...SAMPLE_CLIPPING_KEYS,
  'variance_type',
  'prediction_type',
  'timestep_spacing',
  'steps_offset',
];

/** Reads a diffusers DDPMScheduler config (see `SchedulerConfigInput` for the key policy). */
export function resolveDDPMConfig(config: SchedulerConfigInput): DDPMConfig {
  assertSchedulerConfigObject(config);
  return {
    ...readTrainingScheduleConfig(config),
    ...readSampleClippingConfig(config),
    varianceType: readEnum(config, 'variance_type', 'fixed_small', DDPM_VARIANCE_TYPES),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    timestepSpacing: readEnum(config, 'timestep_spacing', 'leading', TIMESTEP_SPACINGS),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
  };
}

/** Per-step scalars, float32 like diffusers' 0-dim torch tensors. */
interface DDPMStepScalars {
  /** x0 = xFactor·x + modelFactor·m. */
  xFactor: number;
  modelFactor: number;
  /** μ = originalFactor·x0 + currentFactor·x (DDPM posterior mean, spec §3.3). */
  originalFactor: number;
  currentFactor: number;
  /** The clamped posterior variance β̃ and the step's β = 1 − ᾱ_t/ᾱ_prev. */
  variance: number;
  beta: number;
}

/**
 * diffusers' `DDPMScheduler` (spec §3.3 — the scheduler of the Kandinsky 3 diffusers checkpoints:
 * `squaredcos_cap_v2`, `clip_sample`, `steps_offset 1`, epsilon). Ancestral sampling on a skipped
 * grid: x0 from the model output, clipped or dynamically thresholded, then the posterior mean
 * `c_x0·x0 + c_xt·x_t` plus `std·z` with z drawn from `options.generator` exactly where diffusers
 * draws it (every step with t > 0), so a PyTorch-compatible generator reproduces diffusers.
 *
 * Scalars follow diffusers' float32 arithmetic; each step is one fused pass over the tensors (two
 * with thresholding or a learned variance). One documented deviation: `fixed_large_log` uses the
 * intended std `exp(½·log β)`, where diffusers computes `(log β) ** 0.5` = NaN.
 */
export class DDPMScheduler implements Scheduler<SingleStepSchedulerState> {
  readonly name = 'DDPMScheduler';
  readonly config: Readonly<Record<string, unknown>>;
  /** The validated configuration in camelCase. */
  readonly options: Readonly<DDPMConfig>;
  /** Config keys that DDPMScheduler does not use and ignored (e.g. `set_alpha_to_one`). */
  readonly ignoredConfigKeys: readonly string[];
  readonly initNoiseSigma = 1;
  /** One step per scheduler call (diffusers' `order`). */
  readonly order = 1;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  private schedule: { timesteps: number[]; id: number; custom: boolean } | null = null;

  /**
   * @param config - a diffusers `scheduler_config.json` object; missing keys take diffusers'
   *   defaults (see {@link DDPMConfig}).
   */
  constructor(config: SchedulerConfigInput = {}) {
    this.options = Object.freeze(resolveDDPMConfig(config));
    this.ignoredConfigKeys = Object.freeze(ignoredConfigKeys(config, DDPM_KEYS));
    this.config = Object.freeze({
      ...trainingScheduleRecord(this.options),
      ...sampleClippingRecord(this.options),
      variance_type: this.options.varianceType,
      prediction_type: this.options.predictionType,
      timestep_spacing: this.options.timestepSpacing,
      steps_offset: this.options.stepsOffset,
    });
    const tables = trainingTables(this.options);
    this.betas = tables.betas;
    this.alphasCumprod = tables.alphasCumprod;
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
    this.schedule = { timesteps, id: newScheduleId(), custom: false };
  }

  /**
   * Uses explicit timesteps (diffusers' `set_timesteps(timesteps=…)`): strictly descending
   * integers in [0, num_train_timesteps). Throws INVALID_STEPS otherwise.
   */
  setCustomTimesteps(timesteps: readonly number[]): void {
    const count = this.options.numTrainTimesteps;
    const valid =
      Array.isArray(timesteps) &&
      timesteps.length > 0 &&
      timesteps.every(
        (t, i) => Number.isInteger(t) && t >= 0 && t < count && (i === 0 || t < timesteps[i - 1]),
      );
    if (!valid) {
      throw kandinskyError(
        'INVALID_STEPS',
        `Custom timesteps must be strictly descending integers in [0, ${count - 1}], got ${describeValue(timesteps)}.`,
        'Pass e.g. [999, 750, 500, 250, 0].',
        { timesteps },
      );
    }
    this.schedule = { timesteps: [...timesteps], id: newScheduleId(), custom: true };
  }

  /**
   * A fresh trajectory state. `beginIndex` starts it part-way through the schedule (img2img,
   * spec §4.4; see `strengthTimesteps`).
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

  /** Identity: DDPM does not scale the model input (spec §3.3). */
  scaleModelInput(sample: Tensor<'float32'>): Tensor<'float32'> {
    return sample;
  }

  /**
   * One ancestral step from `timestep` to the next scheduled timestep (ᾱ_prev = 1 after the last).
   * With `learned`/`learned_range` the model output carries twice the sample's channels: the
   * second half is the predicted variance, as diffusers splits it.
   */
  step(
    modelOutput: Tensor<'float32'>,
    timestep: number,
    sample: Tensor<'float32'>,
    state: SingleStepSchedulerState,
    options: SchedulerStepOptions = {},
  ): SchedulerStepResult {
    const schedule = this.schedule;
    const index = checkStepPosition(this.name, this.timesteps, schedule?.id ?? -1, state, timestep);
    const { varianceType } = this.options;
    const learned = varianceType === 'learned' || varianceType === 'learned_range';
    const modelDims = [...sample.dims];
    if (learned) {
      if (modelDims.length < 2) {
        throw shapeMismatch(
          `variance_type ${describeValue(varianceType)} needs a sample of shape [batch, channels, ...], got ${describeValue(sample.dims)}.`,
          'Pass latents with a batch and a channel dimension.',
        );
      }
      modelDims[1] *= 2;
    }
    const out = prepareStepTensors(modelOutput, sample, modelDims, options);
    const timesteps = schedule!.timesteps;
    const previous = index + 1 < timesteps.length ? timesteps[index + 1] : -1;
    const scalars = this.stepScalars(timestep, previous);
    const noise = timestep > 0 ? drawStepNoise(this.name, timestep, sample.dims, options) : null;

    const x = sample.data;
    const m = modelOutput.data;
    const y = out.data;
    const size = x.length;
    const { xFactor, modelFactor, originalFactor, currentFactor } = scalars;
    const range = this.options.clipSample ? this.options.clipSampleRange : Infinity;
    const wantOriginal = options.returnPredOriginalSample === true;
    let predOriginalSample: Tensor<'float32'> | undefined;

    if (!learned && !this.options.thresholding && !wantOriginal) {
      // Fast path: one fused pass.
      const std = noise === null ? 0 : this.fixedStd(scalars);
      fusedPosteriorStep(y, x, m, noise, xFactor, modelFactor, range, originalFactor, currentFactor, std);
      state.stepIndex = index + 1;
      return { prevSample: out };
    }

    // General path: materialise x0 (float32, like torch), clip or threshold, then combine.
    const batch = sample.dims.length > 0 ? sample.dims[0] : 1;
    const block = batch > 0 ? size / batch : 0;
    const modelBlock = learned ? 2 * block : block;
    let x0: Float32Array;
    if (wantOriginal) {
      predOriginalSample = createTensor('float32', sample.dims);
      x0 = predOriginalSample.data;
    } else {
      x0 = new Float32Array(size);
    }
    for (let b = 0; b < batch; b++) {
      const offset = b * block;
      const modelOffset = b * modelBlock;
      for (let j = 0; j < block; j++) {
        x0[offset + j] = xFactor * x[offset + j] + modelFactor * m[modelOffset + j];
      }
    }
    if (this.options.thresholding) {
      thresholdPerSample(x0, batch, this.options.dynamicThresholdingRatio, this.options.sampleMaxValue);
    } else if (this.options.clipSample) {
      for (let i = 0; i < size; i++) {
        const v = x0[i];
        x0[i] = v > range ? range : v < -range ? -range : v;
      }
    }
    if (!learned) {
      const std = noise === null ? 0 : this.fixedStd(scalars);
      for (let i = 0; i < size; i++) {
        const z = noise === null ? 0 : noise[i];
        y[i] = originalFactor * x0[i] + currentFactor * x[i] + std * z;
      }
    } else {
      const minLog = f32(Math.log(scalars.variance));
      const maxLog = f32(Math.log(scalars.beta));
      for (let b = 0; b < batch; b++) {
        const offset = b * block;
        const varianceOffset = b * modelBlock + block;
        for (let j = 0; j < block; j++) {
          const i = offset + j;
          let std = 0;
          if (noise !== null) {
            const predicted = m[varianceOffset + j];
            if (varianceType === 'learned') {
              std = Math.sqrt(predicted);
            } else {
              const fraction = (predicted + 1) / 2;
              std = Math.exp(0.5 * (fraction * maxLog + (1 - fraction) * minLog));
            }
            std *= noise[i];
          }
          y[i] = originalFactor * x0[i] + currentFactor * x[i] + std;
        }
      }
    }
    state.stepIndex = index + 1;
    return predOriginalSample === undefined ? { prevSample: out } : { prevSample: out, predOriginalSample };
  }

  /** Forward diffusion `√ᾱ_t·x0 + √(1−ᾱ_t)·z` (spec §3.3, img2img §4.4). */
  addNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, timestep: number): Tensor<'float32'> {
    const t = checkTrainingTimestep(timestep, this.options.numTrainTimesteps);
    return forwardDiffuse(original, noise, this.alphasCumprod[t]);
  }

  /**
   * The scalars of the step `timestep → previous` (previous = −1 after the last step), in
   * diffusers' float32 arithmetic (spec §3.3 table: N = 25, 961 → 921 gives c_x0 = 0.09269607,
   * c_xt = 0.48260944, std = 0.86787098).
   */
  stepScalars(timestep: number, previous: number): DDPMStepScalars {
    const alphaProduct = this.alphasCumprod[timestep];
    const alphaProductPrevious = previous >= 0 ? this.alphasCumprod[previous] : 1;
    const betaProduct = f32(1 - alphaProduct);
    const betaProductPrevious = f32(1 - alphaProductPrevious);
    const currentAlpha = f32(alphaProduct / alphaProductPrevious);
    const currentBeta = f32(1 - currentAlpha);
    const rootAlpha = f32(Math.sqrt(alphaProduct));
    const rootBeta = f32(Math.sqrt(betaProduct));
    let xFactor: number;
    let modelFactor: number;
    switch (this.options.predictionType) {
      case 'epsilon':
        xFactor = 1 / rootAlpha;
        modelFactor = -rootBeta / rootAlpha;
        break;
      case 'sample':
        xFactor = 0;
        modelFactor = 1;
        break;
      case 'v_prediction':
        xFactor = rootAlpha;
        modelFactor = -rootBeta;
        break;
    }
    const variance = Math.max(f32(f32(betaProductPrevious / betaProduct) * currentBeta), f32(1e-20));
    return {
      xFactor,
      modelFactor,
      originalFactor: f32(f32(f32(Math.sqrt(alphaProductPrevious)) * currentBeta) / betaProduct),
      currentFactor: f32(f32(f32(Math.sqrt(currentAlpha)) * betaProductPrevious) / betaProduct),
      variance,
      beta: currentBeta,
    };
  }

  /** The noise std of the fixed variance types. */
  private fixedStd(scalars: DDPMStepScalars): number {
    switch (this.options.varianceType) {
      case 'fixed_small':
        return f32(Math.sqrt(scalars.variance));
      case 'fixed_small_log':
        return f32(Math.exp(f32(0.5 * f32(Math.log(scalars.variance)))));
      case 'fixed_large':
        return f32(Math.sqrt(scalars.beta));
      case 'fixed_large_log':
        return f32(Math.exp(f32(0.5 * f32(Math.log(scalars.beta)))));
      default:
        return 0;
    }
  }
}

/**
 * `y = c_x0·clip(a·x + b·m, ±range) + c_xt·x + std·z` in one pass (z omitted when null). Kept
 * small and monomorphic so V8 optimises it early; `y` may alias `x` or `m`.
 */
function fusedPosteriorStep(
  y: Float32Array,
  x: Float32Array,
  m: Float32Array,
  z: Float32Array | null,
  xFactor: number,
  modelFactor: number,
  range: number,
  originalFactor: number,
  currentFactor: number,
  std: number,
): void {
  const size = y.length;
  if (range === Infinity) {
    for (let i = 0; i < size; i++) {
      const xi = x[i];
      const noise = z === null ? 0 : std * z[i];
      y[i] = originalFactor * (xFactor * xi + modelFactor * m[i]) + currentFactor * xi + noise;
    }
    return;
  }
  // clip(a, −r, r) = (|a + r| − |a − r|) / 2: branch-free, so x0 estimates that hit the clip at
  // random (most of them in early steps) cost no mispredictions.
  const half = 0.5 * originalFactor;
  if (z === null) {
    for (let i = 0; i < size; i++) {
      const xi = x[i];
      const a = xFactor * xi + modelFactor * m[i];
      y[i] = half * (Math.abs(a + range) - Math.abs(a - range)) + currentFactor * xi;
    }
  } else {
    for (let i = 0; i < size; i++) {
      const xi = x[i];
      const a = xFactor * xi + modelFactor * m[i];
      y[i] = half * (Math.abs(a + range) - Math.abs(a - range)) + currentFactor * xi + std * z[i];
    }
  }
}
