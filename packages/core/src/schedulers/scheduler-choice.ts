import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { SUPPORTED_SCHEDULER_CLASSES, type SchedulerClassName } from './create-scheduler.js';
import type { SchedulerConfigInput } from './scheduler-config.js';
import { checkObject, checkOptionalObject } from '../errors/argument-checks.js';

/**
 * The sampler names people know from diffusers, ComfyUI and AUTOMATIC1111, each mapped to the
 * diffusers class (and the config values) it stands for; `kandinsky` is the original Kandinsky 3.1
 * sampler (spec §3.2), which has no diffusers class.
 */
export const SCHEDULER_ALIASES = {
  ddpm: { className: 'DDPMScheduler', overrides: {} },
  ddim: { className: 'DDIMScheduler', overrides: {} },
  euler: { className: 'EulerDiscreteScheduler', overrides: {} },
  'euler-a': { className: 'EulerAncestralDiscreteScheduler', overrides: {} },
  'dpm++2m': {
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: false },
  },
  'dpm++2m-karras': {
    className: 'DPMSolverMultistepScheduler',
    overrides: { algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: true },
  },
  unipc: { className: 'UniPCMultistepScheduler', overrides: {} },
  heun: { className: 'HeunDiscreteScheduler', overrides: {} },
  lcm: { className: 'LCMScheduler', overrides: {} },
  kandinsky: { className: null, overrides: {} },
} as const satisfies Record<
  string,
  { className: SchedulerClassName | null; overrides: Readonly<Record<string, unknown>> }
>;

/** A sampler alias such as `euler-a` or `dpm++2m-karras`. */
export type SchedulerAlias = keyof typeof SCHEDULER_ALIASES;

/** What a scheduler choice accepts: an alias, or a diffusers class name {@link createScheduler} knows. */
export type SchedulerName = SchedulerAlias | SchedulerClassName;

/** Every accepted {@link SchedulerName}: the aliases, then the class names. */
export const SCHEDULER_NAMES: readonly SchedulerName[] = [
  ...(Object.keys(SCHEDULER_ALIASES) as SchedulerAlias[]),
  ...SUPPORTED_SCHEDULER_CLASSES,
];

/** A resolved scheduler choice: the original sampler, or a diffusers class with config overrides. */
export type SchedulerChoice =
  | { readonly kind: 'original'; readonly name: SchedulerName }
  | {
      readonly kind: 'scheduler';
      readonly name: SchedulerName;
      readonly className: SchedulerClassName;
      readonly overrides: Readonly<Record<string, unknown>>;
    };

/**
 * Resolves a scheduler name (alias or diffusers class name, see {@link SCHEDULER_NAMES}); throws
 * INVALID_ARGUMENT naming the value and listing the names otherwise.
 */
export function resolveSchedulerChoice(name: unknown): SchedulerChoice {
  if (typeof name === 'string') {
    if (Object.hasOwn(SCHEDULER_ALIASES, name)) {
      const alias = SCHEDULER_ALIASES[name as SchedulerAlias];
      return alias.className === null
        ? { kind: 'original', name: name as SchedulerAlias }
        : { kind: 'scheduler', name: name as SchedulerAlias, className: alias.className, overrides: alias.overrides };
    }
    if ((SUPPORTED_SCHEDULER_CLASSES as readonly string[]).includes(name)) {
      return { kind: 'scheduler', name: name as SchedulerClassName, className: name as SchedulerClassName, overrides: {} };
    }
  }
  throw kandinskyError(
    'INVALID_ARGUMENT',
    `Unknown scheduler ${describeValue(name)}.`,
    `Use one of ${SCHEDULER_NAMES.join(', ')}.`,
    { scheduler: name },
  );
}

/**
 * The config diffusers' `Class.from_config(config, **kwargs)` would build from a model's
 * `scheduler_config.json`: the same keys with `_class_name` swapped, then the alias's values (e.g.
 * `use_karras_sigmas` for `dpm++2m-karras`), then `overrides` (the kwargs). Keys the new class does
 * not read are ignored by it, as diffusers ignores them; keys it reads and the file lacks take the
 * new class's defaults (so a DDPM config's implied `leading` spacing becomes Euler's `linspace`,
 * exactly as in diffusers).
 */
export function swapSchedulerClass(
  config: SchedulerConfigInput,
  choice: Extract<SchedulerChoice, { kind: 'scheduler' }>,
  overrides: SchedulerConfigInput = {},
): Record<string, unknown> {
  checkObject('config', config, 'a scheduler config object', 'Pass the scheduler_config.json contents.');
  checkObject('choice', choice, "a scheduler choice { kind: 'scheduler', className }", 'Use resolveSchedulerChoice(name).');
  checkOptionalObject('overrides', overrides);
  return { ...config, ...choice.overrides, ...overrides, _class_name: choice.className };
}
