import {
  KandinskyError,
  SCHEDULER_ALIASES,
  createScheduler,
  resolveSchedulerChoice,
  type SchedulerName,
} from '@kandinsky/core';
import { closestName } from './closest-name.js';
import { usageError } from './usage-error.js';

/** The help lines of `--scheduler` and `--scheduler-config` (generate and img2img). */
export const SCHEDULER_HELP = `  --scheduler NAME     sampler: ${Object.keys(SCHEDULER_ALIASES).join(', ')},
                       or a diffusers class name (UniPCMultistepScheduler, …); built from the
                       model's scheduler_config.json with the class swapped, as diffusers'
                       from_config (default: the model's own, kandinsky for the tiny model)
  --scheduler-config JSON  config values over the model's, like from_config's keyword arguments,
                       e.g. '{"timestep_spacing":"leading"}' (needs --scheduler)
`;

/** The scheduler choice of a command line, checked before any model loads. */
export interface SchedulerRequest {
  readonly scheduler: SchedulerName | undefined;
  readonly schedulerConfig: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Checks `--scheduler` (a known name or diffusers class, with a did-you-mean) and
 * `--scheduler-config` (a JSON object whose values the chosen class accepts).
 */
export function parseSchedulerOptions(name: string | undefined, config: string | undefined): SchedulerRequest {
  if (name === undefined) {
    if (config !== undefined) {
      throw usageError('--scheduler-config needs --scheduler.', 'Add --scheduler NAME, e.g. --scheduler euler.', {
        '--scheduler-config': config,
      });
    }
    return { scheduler: undefined, schedulerConfig: undefined };
  }
  let choice;
  try {
    choice = resolveSchedulerChoice(name);
  } catch (error) {
    if (!KandinskyError.isInstance(error)) throw error;
    const names = [...Object.keys(SCHEDULER_ALIASES)];
    const suggestion = closestName(name.toLowerCase(), names);
    throw usageError(
      `--scheduler ${JSON.stringify(name)} is not a scheduler this SDK knows.`,
      `${suggestion === undefined ? '' : `Did you mean --scheduler ${suggestion}? `}Use one of ${names.join(', ')}, or a diffusers class name such as UniPCMultistepScheduler.`,
      { '--scheduler': name },
    );
  }
  if (config === undefined) return { scheduler: choice.name, schedulerConfig: undefined };
  if (choice.kind === 'original') {
    throw usageError(
      `--scheduler-config cannot be used with --scheduler ${name}: the original sampler has no diffusers config.`,
      'Drop --scheduler-config, or pick a diffusers scheduler.',
      { '--scheduler-config': config },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usageError(
      `--scheduler-config must be a JSON object, got ${JSON.stringify(config)}.`,
      `Quote it for the shell: --scheduler-config '{"timestep_spacing":"leading"}'.`,
      { '--scheduler-config': config },
    );
  }
  // The values are checked by the class that will read them, so a bad one costs no model load.
  try {
    createScheduler({ ...choice.overrides, ...(parsed as Record<string, unknown>), _class_name: choice.className });
  } catch (error) {
    if (!KandinskyError.isInstance(error)) throw error;
    throw usageError(`--scheduler-config: ${error.message}`, error.hint, {
      '--scheduler-config': config,
    });
  }
  return { scheduler: choice.name, schedulerConfig: parsed as Record<string, unknown> };
}
