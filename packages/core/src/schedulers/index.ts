// Public API of the schedulers area (spec §3). Internal helpers (step checks, the DPM schedule
// builder, `diffuse`) stay unexported.
export type {
  NoiseSource,
  Scheduler,
  SchedulerState,
  SchedulerStepOptions,
  SchedulerStepResult,
} from './scheduler.js';
export {
  BETA_SCHEDULE_NAMES,
  alphasCumprod,
  betaSchedule,
  rescaleZeroTerminalSnr,
  type BetaScheduleName,
  type BetaScheduleOptions,
} from './beta-schedule.js';
export {
  PREDICTION_TYPES,
  ignoredConfigKeys,
  readTrainingScheduleConfig,
  trainingTables,
  type PredictionType,
  type SampleClippingConfig,
  type SchedulerConfigInput,
  type TrainingScheduleConfig,
  type TrainingTables,
} from './scheduler-config.js';
export {
  TIMESTEP_SPACINGS,
  spacedTimesteps,
  type SpacedTimestepsOptions,
  type TimestepSpacing,
} from './timestep-spacing.js';
export type { SingleStepSchedulerState } from './step-checks.js';
export {
  DDPM_VARIANCE_TYPES,
  DDPMScheduler,
  resolveDDPMConfig,
  type DDPMConfig,
  type DDPMVarianceType,
} from './ddpm-scheduler.js';
export {
  DDIMScheduler,
  resolveDDIMConfig,
  type DDIMConfig,
  type DDIMSamplingOptions,
  type DDIMStepOptions,
} from './ddim-scheduler.js';
export {
  EulerDiscreteScheduler,
  resolveEulerDiscreteConfig,
  type EulerChurnOptions,
  type EulerDiscreteConfig,
  type EulerStepOptions,
} from './euler-discrete-scheduler.js';
export {
  DPMSolverMultistepScheduler,
  type DPMSolverMultistepState,
} from './dpm-solver-multistep.js';
export { resolveDPMSolverConfig, type DPMSolverConfig } from './dpm-solver-config.js';
export {
  INPAINTING_PERCENTILE,
  Kandinsky3Sampler,
  TEXT_TO_IMAGE_PERCENTILE,
  type Kandinsky3SamplerOptions,
} from './kandinsky-sampler.js';
export {
  FLASH_TIMESTEPS,
  FlashSampler,
  type FlashPrediction,
  type FlashSamplerOptions,
} from './flash-sampler.js';
export { quantileLinear, thresholdPerSample } from './dynamic-thresholding.js';
export { assertStrength, strengthTimesteps, type StrengthTimesteps } from './strength.js';
export {
  SUPPORTED_SCHEDULER_CLASSES,
  createScheduler,
  type SchedulerClassName,
} from './create-scheduler.js';
