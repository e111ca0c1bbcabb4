import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig } from '../errors/error-constructors.js';
import { DDIMScheduler } from './ddim-scheduler.js';
import { DDPMScheduler } from './ddpm-scheduler.js';
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep.js';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler.js';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.js';
import { HeunDiscreteScheduler } from './heun-discrete-scheduler.js';
import { LCMScheduler } from './lcm-scheduler.js';
import { UniPCMultistepScheduler } from './unipc-multistep.js';
import type { Scheduler } from './scheduler.js';
import { assertSchedulerConfigObject, type SchedulerConfigInput } from './scheduler-config.js';

/** The diffusers scheduler classes {@link createScheduler} can build. */
export const SUPPORTED_SCHEDULER_CLASSES = [
  'DDPMScheduler',
  'DDIMScheduler',
  'EulerDiscreteScheduler',
  'DPMSolverMultistepScheduler',
  'EulerAncestralDiscreteScheduler',
  'HeunDiscreteScheduler',
  'LCMScheduler',
  'UniPCMultistepScheduler',
] as const;

/** A diffusers scheduler class name accepted by {@link createScheduler}. */
export type SchedulerClassName = (typeof SUPPORTED_SCHEDULER_CLASSES)[number];

/**
 * Builds the scheduler a diffusers `scheduler/scheduler_config.json` describes, dispatching on
 * its `_class_name` (spec §3.3: the Kandinsky 3 checkpoints ship a DDPMScheduler config; §3.6:
 * KandiSuperRes uses DPMSolverMultistepScheduler). Throws INVALID_SCHEDULER_CONFIG for a missing
 * or unsupported class, or an invalid value of a key the class knows.
 */
export function createScheduler(config: SchedulerConfigInput): Scheduler {
  assertSchedulerConfigObject(config);
  const className = config._class_name;
  switch (className) {
    case 'DDPMScheduler':
      return new DDPMScheduler(config);
    case 'DDIMScheduler':
      return new DDIMScheduler(config);
    case 'EulerDiscreteScheduler':
      return new EulerDiscreteScheduler(config);
    case 'DPMSolverMultistepScheduler':
      return new DPMSolverMultistepScheduler(config as Record<string, unknown>);
    case 'EulerAncestralDiscreteScheduler':
      return new EulerAncestralDiscreteScheduler(config);
    case 'HeunDiscreteScheduler':
      return new HeunDiscreteScheduler(config);
    case 'LCMScheduler':
      return new LCMScheduler(config);
    case 'UniPCMultistepScheduler':
      return new UniPCMultistepScheduler(config);
    default:
      throw invalidSchedulerConfig(
        '_class_name',
        className,
        className === undefined
          ? 'The scheduler config has no "_class_name".'
          : `Unsupported scheduler class ${describeValue(className)}.`,
        `Set "_class_name" to one of ${SUPPORTED_SCHEDULER_CLASSES.map((name) => `"${name}"`).join(', ')}.`,
      );
  }
}
