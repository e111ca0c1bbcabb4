import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig, kandinskyError } from '../errors/error-constructors.js';
import {
  BETA_SCHEDULE_NAMES,
  alphasCumprod,
  betaSchedule,
  rescaleZeroTerminalSnr,
  type BetaScheduleName,
} from './beta-schedule.js';

/**
 * A diffusers `scheduler_config.json` object as parsed from JSON.
 *
 * Policy shared by every scheduler of this package (spec §3.3):
 * - keys starting with `_` (`_class_name`, `_diffusers_version`) are metadata and never validated
 *   here (`_class_name` is read by `createScheduler`);
 * - keys the scheduler class knows are validated: a wrong type or an unknown value throws
 *   INVALID_SCHEDULER_CONFIG naming the key and the value; `null` (Python `None`) or an absent key
 *   means the diffusers default;
 * - any other key is ignored, as diffusers does (with a warning) when a config is shared between
 *   compatible schedulers — e.g. `set_alpha_to_one` in the Kandinsky 3 DDPM config. The ignored
 *   keys are reported by {@link ignoredConfigKeys} so callers can surface them.
 */
export type SchedulerConfigInput = Readonly<Record<string, unknown>>;

/** What the model predicts: noise, the clean sample, or velocity (diffusers' `prediction_type`). */
export type PredictionType = 'epsilon' | 'sample' | 'v_prediction';

/** Accepted {@link PredictionType} values. */
export const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'sample', 'v_prediction'];

/** Constraints of {@link readNumber}. */
export interface NumberConstraints {
  /** Require an integer. @default false */
  integer?: boolean;
  /** Inclusive lower bound. @default -Infinity */
  minimum?: number;
  /** Inclusive upper bound. @default Infinity */
  maximum?: number;
  /** Exclusive lower bound. @default undefined */
  greaterThan?: number;
}

/** Throws INVALID_SCHEDULER_CONFIG unless `config` is a plain (non-array) object. */
export function assertSchedulerConfigObject(
  config: unknown,
): asserts config is Readonly<Record<string, unknown>> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw kandinskyError(
      'INVALID_SCHEDULER_CONFIG',
      `A scheduler config must be a plain object, got ${describeValue(config)}.`,
      'Pass the parsed contents of scheduler/scheduler_config.json.',
      { value: config },
    );
  }
}

function isAbsent(config: SchedulerConfigInput, key: string): boolean {
  return config[key] === undefined || config[key] === null;
}

/** Reads a finite number (diffusers default when absent or null) and checks `constraints`. */
export function readNumber(
  config: SchedulerConfigInput,
  key: string,
  defaultValue: number,
  constraints: NumberConstraints = {},
): number {
  if (isAbsent(config, key)) return defaultValue;
  const value = config[key];
  const { integer = false, minimum = -Infinity, maximum = Infinity, greaterThan } = constraints;
  const kind = integer ? 'an integer' : 'a finite number';
  const range = [
    greaterThan !== undefined ? `> ${greaterThan}` : minimum > -Infinity ? `≥ ${minimum}` : '',
    maximum < Infinity ? `≤ ${maximum}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const expected = range ? `${kind} ${range}` : kind;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < minimum ||
    value > maximum ||
    (greaterThan !== undefined && !(value > greaterThan))
  ) {
    throw invalidSchedulerConfig(
      key,
      value,
      `Scheduler config "${key}" must be ${expected}, got ${describeValue(value)}.`,
      `Set "${key}" to ${expected}, or remove it to use the default ${describeValue(defaultValue)}.`,
    );
  }
  return value;
}

/** Like {@link readNumber} but `null`/absent gives `null` (diffusers keys defaulting to `None`). */
export function readOptionalNumber(
  config: SchedulerConfigInput,
  key: string,
  constraints: NumberConstraints = {},
): number | null {
  if (isAbsent(config, key)) return null;
  return readNumber(config, key, 0, constraints);
}

/** Reads a JSON boolean (diffusers default when absent or null). */
export function readBoolean(config: SchedulerConfigInput, key: string, defaultValue: boolean): boolean {
  if (isAbsent(config, key)) return defaultValue;
  const value = config[key];
  if (typeof value !== 'boolean') {
    throw invalidSchedulerConfig(
      key,
      value,
      `Scheduler config "${key}" must be true or false, got ${describeValue(value)}.`,
      `Set "${key}" to a JSON boolean, or remove it to use the default ${defaultValue}.`,
    );
  }
  return value;
}

/**
 * Reads a string from `allowed` (diffusers default when absent or null). `known` lists the values
 * diffusers accepts: one of those that this port does not implement gets its own message.
 */
export function readEnum<const T extends string>(
  config: SchedulerConfigInput,
  key: string,
  defaultValue: T,
  allowed: readonly T[],
  known: readonly string[] = allowed,
): T {
  if (isAbsent(config, key)) return defaultValue;
  const value = config[key];
  const list = allowed.map((name) => `"${name}"`).join(', ');
  if (typeof value === 'string' && !allowed.includes(value as T) && known.includes(value)) {
    throw invalidSchedulerConfig(
      key,
      value,
      `Scheduler config "${key}" = ${describeValue(value)} is a diffusers option this port does not implement.`,
      `Use one of ${list}.`,
    );
  }
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw invalidSchedulerConfig(
      key,
      value,
      `Unknown ${key} ${describeValue(value)} in the scheduler config.`,
      `Use one of ${list}.`,
    );
  }
  return value as T;
}

/** Reads an array of finite numbers of length `length` (or null when absent/null). */
export function readNumberArray(
  config: SchedulerConfigInput,
  key: string,
  length: number,
): number[] | null {
  if (isAbsent(config, key)) return null;
  const value = config[key];
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((item) => typeof item === 'number' && Number.isFinite(item))
  ) {
    throw invalidSchedulerConfig(
      key,
      value,
      `Scheduler config "${key}" must be an array of ${length} finite numbers, got ${describeValue(value)}.`,
      `Give exactly ${length} numbers (one per training timestep), or remove "${key}".`,
    );
  }
  return value as number[];
}

/** Throws INVALID_SCHEDULER_CONFIG when a boolean option this port does not implement is true. */
export function rejectEnabled(config: SchedulerConfigInput, keys: readonly string[]): void {
  for (const key of keys) {
    if (readBoolean(config, key, false)) {
      throw invalidSchedulerConfig(
        key,
        true,
        `Scheduler config "${key}" = true is not supported by this port.`,
        `Remove "${key}" or set it to false.`,
      );
    }
  }
}

/** Non-metadata keys of `config` that are not in `knownKeys` (ignored, like diffusers does). */
export function ignoredConfigKeys(config: SchedulerConfigInput, knownKeys: readonly string[]): string[] {
  return Object.keys(config).filter((key) => !key.startsWith('_') && !knownKeys.includes(key));
}

/** The training noise schedule part of a diffusers config, shared by DDPM, DDIM and Euler. */
export interface TrainingScheduleConfig {
  /** @default 1000 */
  numTrainTimesteps: number;
  /** @default 0.0001 */
  betaStart: number;
  /** @default 0.02 */
  betaEnd: number;
  /** @default 'linear' */
  betaSchedule: BetaScheduleName;
  /** Explicit betas overriding `betaSchedule`. @default null */
  trainedBetas: number[] | null;
  /** Rescale to zero terminal SNR (Lin et al. 2023). @default false */
  rescaleBetasZeroSnr: boolean;
}

/** The config keys read by {@link readTrainingScheduleConfig}. */
export const TRAINING_SCHEDULE_KEYS = [
  'num_train_timesteps',
  'beta_start',
  'beta_end',
  'beta_schedule',
  'trained_betas',
  'rescale_betas_zero_snr',
] as const;

/** Class-specific defaults and accepted values of {@link readTrainingScheduleConfig}. */
export interface TrainingScheduleDefaults {
  /** @default 0.0001 */
  betaStart?: number;
  /** @default 0.02 */
  betaEnd?: number;
  /** @default 'linear' */
  betaSchedule?: BetaScheduleName;
  /** The schedules the class accepts. @default BETA_SCHEDULE_NAMES */
  betaSchedules?: readonly BetaScheduleName[];
  /** Whether the class reads `rescale_betas_zero_snr` (else it is ignored, as diffusers does). @default true */
  rescale?: boolean;
}

/**
 * Reads the beta-schedule keys (spec §3.1) with diffusers' defaults (or the class's own, e.g.
 * LCM's `scaled_linear` 0.00085 → 0.012). Only what diffusers cannot run is rejected: betas may be
 * any non-negative numbers (diffusers' LCM test uses beta_end = 2).
 */
export function readTrainingScheduleConfig(
  config: SchedulerConfigInput,
  defaults: TrainingScheduleDefaults = {},
): TrainingScheduleConfig {
  const numTrainTimesteps = readNumber(config, 'num_train_timesteps', 1000, { integer: true, minimum: 2 });
  return {
    numTrainTimesteps,
    betaStart: readNumber(config, 'beta_start', defaults.betaStart ?? 0.0001, { minimum: 0 }),
    betaEnd: readNumber(config, 'beta_end', defaults.betaEnd ?? 0.02, { minimum: 0 }),
    betaSchedule: readEnum(
      config,
      'beta_schedule',
      defaults.betaSchedule ?? 'linear',
      defaults.betaSchedules ?? BETA_SCHEDULE_NAMES,
    ),
    trainedBetas: readNumberArray(config, 'trained_betas', numTrainTimesteps),
    rescaleBetasZeroSnr: defaults.rescale === false ? false : readBoolean(config, 'rescale_betas_zero_snr', false),
  };
}

/** The float32 tables diffusers derives from a training schedule. */
export interface TrainingTables {
  /** β_t as float32 values. */
  betas: Float64Array;
  /** ᾱ_t as float32 values (torch cumprod semantics, see `alphasCumprod`). */
  alphasCumprod: Float64Array;
}

/**
 * Betas and ᾱ exactly as diffusers' DDPM/DDIM/Euler constructors build them: trained betas or
 * the named schedule, then the optional zero-terminal-SNR rescale, then the cumulative product.
 */
export function trainingTables(config: TrainingScheduleConfig): TrainingTables {
  let betas: Float64Array;
  if (config.trainedBetas !== null) {
    betas = Float64Array.from(config.trainedBetas, (beta) => Math.fround(beta));
  } else {
    betas = betaSchedule({
      schedule: config.betaSchedule,
      numTrainTimesteps: config.numTrainTimesteps,
      betaStart: config.betaStart,
      betaEnd: config.betaEnd,
    });
  }
  if (config.rescaleBetasZeroSnr) betas = rescaleZeroTerminalSnr(betas);
  return { betas, alphasCumprod: alphasCumprod(betas) };
}

/** The snake_case record of a training schedule, for `Scheduler.config`. */
export function trainingScheduleRecord(config: TrainingScheduleConfig): Record<string, unknown> {
  return {
    num_train_timesteps: config.numTrainTimesteps,
    beta_start: config.betaStart,
    beta_end: config.betaEnd,
    beta_schedule: config.betaSchedule,
    trained_betas: config.trainedBetas,
    rescale_betas_zero_snr: config.rescaleBetasZeroSnr,
  };
}

/** Dynamic thresholding and clipping keys shared by DDPM and DDIM (spec §3.3). */
export interface SampleClippingConfig {
  /** @default true */
  clipSample: boolean;
  /** @default 1.0 */
  clipSampleRange: number;
  /** @default false */
  thresholding: boolean;
  /** Quantile of |x0| used as the threshold, in [0, 1]. @default 0.995 */
  dynamicThresholdingRatio: number;
  /** Upper bound of the threshold (> 0; below 1 it is the threshold itself). @default 1.0 */
  sampleMaxValue: number;
}

/** The config keys read by {@link readSampleClippingConfig}. */
export const SAMPLE_CLIPPING_KEYS = [
  'clip_sample',
  'clip_sample_range',
  'thresholding',
  'dynamic_thresholding_ratio',
  'sample_max_value',
] as const;

/**
 * Reads clip/threshold keys with diffusers' defaults (`clip_sample` defaults to false for LCM).
 * As in diffusers, `sample_max_value` may be below 1 (its thresholding tests use 0.5: the scale is
 * then `sample_max_value` itself) and `dynamic_thresholding_ratio` may be 0 (the minimum |x|).
 */
export function readSampleClippingConfig(
  config: SchedulerConfigInput,
  defaults: { clipSample?: boolean } = {},
): SampleClippingConfig {
  return {
    clipSample: readBoolean(config, 'clip_sample', defaults.clipSample ?? true),
    clipSampleRange: readNumber(config, 'clip_sample_range', 1, { minimum: 0 }),
    ...readThresholdingConfig(config),
  };
}

/** The dynamic-thresholding keys (diffusers' `_threshold_sample`), shared by every scheduler that has them. */
export function readThresholdingConfig(
  config: SchedulerConfigInput,
): Pick<SampleClippingConfig, 'thresholding' | 'dynamicThresholdingRatio' | 'sampleMaxValue'> {
  return {
    thresholding: readBoolean(config, 'thresholding', false),
    dynamicThresholdingRatio: readNumber(config, 'dynamic_thresholding_ratio', 0.995, { minimum: 0, maximum: 1 }),
    // A scale ≤ 0 would divide by zero or flip signs: the only values refused.
    sampleMaxValue: readNumber(config, 'sample_max_value', 1, { greaterThan: 0 }),
  };
}

/** The snake_case record of clip/threshold settings. */
export function sampleClippingRecord(config: SampleClippingConfig): Record<string, unknown> {
  return {
    clip_sample: config.clipSample,
    clip_sample_range: config.clipSampleRange,
    thresholding: config.thresholding,
    dynamic_thresholding_ratio: config.dynamicThresholdingRatio,
    sample_max_value: config.sampleMaxValue,
  };
}
