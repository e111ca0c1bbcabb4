import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig } from '../errors/error-constructors.js';
import {
  PREDICTION_TYPES,
  assertSchedulerConfigObject,
  readBoolean,
  readEnum,
  readNumber,
  readThresholdingConfig,
  readTrainingScheduleConfig,
  rejectEnabled,
  trainingScheduleRecord,
  type PredictionType,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
} from './scheduler-config.js';
import { TIMESTEP_SPACINGS, type TimestepSpacing } from './timestep-spacing.js';

/**
 * The validated configuration of `DPMSolverMultistepScheduler`, in camelCase. Every field has
 * diffusers' default (huggingface/diffusers: scheduling_dpmsolver_multistep.py; spec §3.6).
 */
export interface DPMSolverConfig extends TrainingScheduleConfig {
  /** @default 2 */
  solverOrder: 1 | 2 | 3;
  /** @default 'epsilon' */
  predictionType: PredictionType;
  /** Dynamic (percentile) thresholding of the x0 prediction. @default false */
  thresholding: boolean;
  /** @default 0.995 */
  dynamicThresholdingRatio: number;
  /** @default 1.0 */
  sampleMaxValue: number;
  /** `deis` is accepted and mapped to `dpmsolver++`, as diffusers does. @default 'dpmsolver++' */
  algorithmType: 'dpmsolver++' | 'dpmsolver';
  /** `logrho`, `bh1`, `bh2` are accepted and mapped to `midpoint`, as diffusers does. @default 'midpoint' */
  solverType: 'midpoint' | 'heun';
  /** @default true */
  lowerOrderFinal: boolean;
  /** @default false */
  eulerAtFinal: boolean;
  /** @default false */
  useKarrasSigmas: boolean;
  /** @default false */
  useLuLambdas: boolean;
  /** @default 'zero' */
  finalSigmasType: 'zero' | 'sigma_min';
  /** @default -Infinity */
  lambdaMinClipped: number;
  /** @default 'linspace' */
  timestepSpacing: TimestepSpacing;
  /** @default 0 */
  stepsOffset: number;
}

/**
 * Reads and validates a diffusers `scheduler_config.json` object for the DPM-Solver multistep
 * scheduler, with the policy of `scheduler-config.ts` (metadata and foreign keys ignored, `null`
 * means default, anything else invalid throws INVALID_SCHEDULER_CONFIG naming key and value).
 */
export function resolveDPMSolverConfig(raw: SchedulerConfigInput): DPMSolverConfig {
  assertSchedulerConfigObject(raw);
  const training = readTrainingScheduleConfig(raw);
  rejectEnabled(raw, ['rescale_betas_zero_snr', 'use_exponential_sigmas', 'use_beta_sigmas', 'use_flow_sigmas']);
  const algorithm = readEnum(
    raw,
    'algorithm_type',
    'dpmsolver++',
    ['dpmsolver++', 'dpmsolver', 'deis'],
    ['dpmsolver++', 'dpmsolver', 'deis', 'sde-dpmsolver++', 'sde-dpmsolver'],
  );
  const algorithmType = algorithm === 'deis' ? 'dpmsolver++' : algorithm;
  const solver = readEnum(raw, 'solver_type', 'midpoint', ['midpoint', 'heun', 'logrho', 'bh1', 'bh2']);
  const finalSigmasType = readEnum(raw, 'final_sigmas_type', 'zero', ['zero', 'sigma_min']);
  if (algorithmType === 'dpmsolver' && finalSigmasType === 'zero') {
    throw invalidSchedulerConfig(
      'final_sigmas_type',
      finalSigmasType,
      'final_sigmas_type "zero" is not supported with algorithm_type "dpmsolver" (diffusers rejects it too).',
      'Set final_sigmas_type to "sigma_min", or use algorithm_type "dpmsolver++".',
    );
  }
  const solverOrder = readNumber(raw, 'solver_order', 2, { integer: true, minimum: 1, maximum: 3 });
  const useKarrasSigmas = readBoolean(raw, 'use_karras_sigmas', false);
  const useLuLambdas = readBoolean(raw, 'use_lu_lambdas', false);
  if (useKarrasSigmas && useLuLambdas) {
    throw invalidSchedulerConfig(
      'use_lu_lambdas',
      true,
      'use_karras_sigmas and use_lu_lambdas are both true; only one sigma spacing can be used.',
      'Set at most one of use_karras_sigmas / use_lu_lambdas.',
    );
  }
  const varianceType = raw.variance_type;
  if (varianceType !== undefined && varianceType !== null) {
    throw invalidSchedulerConfig(
      'variance_type',
      varianceType,
      `variance_type ${describeValue(varianceType)} (a learned-variance model output) is not supported.`,
      'Use a checkpoint whose scheduler config has variance_type null.',
    );
  }
  return {
    ...training,
    solverOrder: solverOrder as 1 | 2 | 3,
    predictionType: readEnum(raw, 'prediction_type', 'epsilon', PREDICTION_TYPES),
    ...readThresholdingConfig(raw),
    algorithmType,
    solverType: solver === 'heun' ? 'heun' : 'midpoint',
    lowerOrderFinal: readBoolean(raw, 'lower_order_final', true),
    eulerAtFinal: readBoolean(raw, 'euler_at_final', false),
    useKarrasSigmas,
    useLuLambdas,
    finalSigmasType,
    lambdaMinClipped: readLambdaMinClipped(raw),
    timestepSpacing: readEnum(raw, 'timestep_spacing', 'linspace', TIMESTEP_SPACINGS),
    stepsOffset: readNumber(raw, 'steps_offset', 0, { integer: true, minimum: 0 }),
  };
}

/** The config as diffusers would serialise it (snake_case, defaults filled in). */
export function dpmSolverConfigRecord(config: DPMSolverConfig): Record<string, unknown> {
  return {
    ...trainingScheduleRecord(config),
    solver_order: config.solverOrder,
    prediction_type: config.predictionType,
    thresholding: config.thresholding,
    dynamic_thresholding_ratio: config.dynamicThresholdingRatio,
    sample_max_value: config.sampleMaxValue,
    algorithm_type: config.algorithmType,
    solver_type: config.solverType,
    lower_order_final: config.lowerOrderFinal,
    euler_at_final: config.eulerAtFinal,
    use_karras_sigmas: config.useKarrasSigmas,
    use_lu_lambdas: config.useLuLambdas,
    final_sigmas_type: config.finalSigmasType,
    lambda_min_clipped: config.lambdaMinClipped,
    variance_type: null,
    timestep_spacing: config.timestepSpacing,
    steps_offset: config.stepsOffset,
  };
}

function readLambdaMinClipped(raw: SchedulerConfigInput): number {
  const value = raw.lambda_min_clipped;
  if (value === undefined || value === null) return Number.NEGATIVE_INFINITY;
  // Python's json writes -inf as the non-JSON token -Infinity; loaders may hand it over as text.
  if (value === '-inf' || value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value !== 'number' || Number.isNaN(value) || value === Number.POSITIVE_INFINITY) {
    throw invalidSchedulerConfig(
      'lambda_min_clipped',
      value,
      `lambda_min_clipped must be a number or -Infinity, got ${describeValue(value)}.`,
      'Use e.g. -5.1 for the cosine schedule, or leave it out.',
    );
  }
  return value;
}
