import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig } from '../errors/error-constructors.js';
import {
  PREDICTION_TYPES,
  TRAINING_SCHEDULE_KEYS,
  assertSchedulerConfigObject,
  readBoolean,
  readEnum,
  readNumber,
  readThresholdingConfig,
  readTrainingScheduleConfig,
  rejectEnabled,
  trainingScheduleRecord,
  type PredictionType,
  type SampleClippingConfig,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
} from './scheduler-config.js';
import { TIMESTEP_SPACINGS, type TimestepSpacing } from './timestep-spacing.js';

/**
 * The validated configuration of `UniPCMultistepScheduler`, in camelCase, with diffusers'
 * defaults (huggingface/diffusers: scheduling_unipc_multistep.py).
 */
export interface UniPCConfig
  extends TrainingScheduleConfig,
    Pick<SampleClippingConfig, 'thresholding' | 'dynamicThresholdingRatio' | 'sampleMaxValue'> {
  /** Order of the predictor and corrector (1–3 in practice; any ≥ 1 as in diffusers). @default 2 */
  solverOrder: number;
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** Solve in data (x0) space; false solves in noise space. @default true */
  predictX0: boolean;
  /** B(h) = h (`bh1`) or eʰ − 1 (`bh2`); `midpoint`, `heun`, `logrho` map to `bh2` as in diffusers. @default 'bh2' */
  solverType: 'bh1' | 'bh2';
  /** Lower the order on the last steps (stabilises < 15 steps). @default true */
  lowerOrderFinal: boolean;
  /** Step indices after which the UniC corrector is skipped. @default [] */
  disableCorrector: readonly number[];
  /** @default false */
  useKarrasSigmas: boolean;
  /** @default false */
  useExponentialSigmas: boolean;
  /** @default 'linspace' */
  timestepSpacing: TimestepSpacing;
  /** @default 0 */
  stepsOffset: number;
  /** σ after the last step: 0, or the schedule's smallest σ. @default 'zero' */
  finalSigmasType: 'zero' | 'sigma_min';
}

/** The config keys UniPCMultistepScheduler reads. */
export const UNIPC_KEYS = [
  ...TRAINING_SCHEDULE_KEYS,
  'solver_order',
  'prediction_type',
  'thresholding',
  'dynamic_thresholding_ratio',
  'sample_max_value',
  'predict_x0',
  'solver_type',
  'lower_order_final',
  'disable_corrector',
  'solver_p',
  'use_karras_sigmas',
  'use_exponential_sigmas',
  'use_beta_sigmas',
  'use_flow_sigmas',
  'flow_shift',
  'timestep_spacing',
  'steps_offset',
  'final_sigmas_type',
  'use_dynamic_shifting',
  'time_shift_type',
];

/** Reads a diffusers UniPCMultistepScheduler config (see `SchedulerConfigInput` for the key policy). */
export function resolveUniPCConfig(config: SchedulerConfigInput): UniPCConfig {
  assertSchedulerConfigObject(config);
  // Flow-matching and beta (scipy) σ families are diffusers options this port does not implement.
  rejectEnabled(config, ['use_beta_sigmas', 'use_flow_sigmas', 'use_dynamic_shifting']);
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
  const solver = readEnum(config, 'solver_type', 'bh2', ['bh1', 'bh2', 'midpoint', 'heun', 'logrho']);
  if (config.solver_p !== undefined && config.solver_p !== null) {
    throw invalidSchedulerConfig(
      'solver_p',
      config.solver_p,
      `solver_p ${describeValue(config.solver_p)} (another scheduler as the predictor) cannot come from a config file.`,
      'Remove "solver_p" or set it to null.',
    );
  }
  readNumber(config, 'flow_shift', 1);
  readEnum(config, 'time_shift_type', 'exponential', ['exponential', 'linear']);
  return {
    ...readTrainingScheduleConfig(config),
    ...readThresholdingConfig(config),
    solverOrder: readNumber(config, 'solver_order', 2, { integer: true, minimum: 1 }),
    predictionType: readEnum(config, 'prediction_type', 'epsilon', PREDICTION_TYPES, [
      ...PREDICTION_TYPES,
      'flow_prediction',
    ]),
    predictX0: readBoolean(config, 'predict_x0', true),
    solverType: solver === 'bh1' ? 'bh1' : 'bh2',
    lowerOrderFinal: readBoolean(config, 'lower_order_final', true),
    disableCorrector: readDisableCorrector(config),
    useKarrasSigmas,
    useExponentialSigmas,
    timestepSpacing: readEnum(config, 'timestep_spacing', 'linspace', TIMESTEP_SPACINGS),
    stepsOffset: readNumber(config, 'steps_offset', 0, { integer: true, minimum: 0 }),
    finalSigmasType: readEnum(config, 'final_sigmas_type', 'zero', ['zero', 'sigma_min'] as const),
  };
}

/** The config as diffusers would serialise it (snake_case, defaults filled in). */
export function uniPCConfigRecord(config: UniPCConfig): Record<string, unknown> {
  return {
    ...trainingScheduleRecord(config),
    solver_order: config.solverOrder,
    prediction_type: config.predictionType,
    thresholding: config.thresholding,
    dynamic_thresholding_ratio: config.dynamicThresholdingRatio,
    sample_max_value: config.sampleMaxValue,
    predict_x0: config.predictX0,
    solver_type: config.solverType,
    lower_order_final: config.lowerOrderFinal,
    disable_corrector: [...config.disableCorrector],
    solver_p: null,
    use_karras_sigmas: config.useKarrasSigmas,
    use_exponential_sigmas: config.useExponentialSigmas,
    use_beta_sigmas: false,
    use_flow_sigmas: false,
    timestep_spacing: config.timestepSpacing,
    steps_offset: config.stepsOffset,
    final_sigmas_type: config.finalSigmasType,
  };
}

function readDisableCorrector(config: SchedulerConfigInput): number[] {
  const value = config.disable_corrector;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && Number.isInteger(item))) {
    throw invalidSchedulerConfig(
      'disable_corrector',
      value,
      `disable_corrector must be an array of step indices, got ${describeValue(value)}.`,
      'Use e.g. [0] to skip the corrector after the first step, or [] for none.',
    );
  }
  return [...(value as number[])];
}
