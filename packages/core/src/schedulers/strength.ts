import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';

/** The part of a schedule an img2img / inpainting run actually steps through. */
export interface StrengthTimesteps {
  /**
   * Index into `scheduler.timesteps` of the first step to run; pass it to
   * `scheduler.createState(startIndex)`. Equals the schedule length when strength is 0.
   */
  startIndex: number;
  /** The remaining timesteps, `timesteps[startIndex:]`; empty when strength is 0. */
  timesteps: number[];
  /** The timestep to forward-diffuse the encoded image to (`addNoise`); undefined when empty. */
  startTimestep: number | undefined;
  /**
   * Inference steps that remain, `min(⌊N·strength⌋, N)` — diffusers' `init_timestep`. It differs
   * from `timesteps.length` for schedulers of order 2 (Heun), whose timesteps repeat.
   */
  steps: number;
}

/** Throws INVALID_STRENGTH unless `strength` is a finite number in [0, 1]. */
export function assertStrength(strength: unknown): asserts strength is number {
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0 || strength > 1) {
    throw kandinskyError(
      'INVALID_STRENGTH',
      `strength must be a number in [0, 1], got ${describeValue(strength)}.`,
      'Use 0.3 (the Kandinsky 3 img2img default) for light edits, up to 1 to ignore the input image.',
      { strength },
    );
  }
}

/**
 * diffusers' img2img `get_timesteps` (spec §4.4): `init = min(⌊N·strength⌋, N)`, start index
 * `(N − init)·order`, remaining timesteps `timesteps[start:]`. The floor is taken of the float64
 * product, as Python's `int(N * strength)` (so 100 × 0.29 = 28.999… gives 28). Example: N = 25,
 * strength 0.3 → 7 steps starting at t = 241.
 *
 * Works for any scheduler with a built schedule; `order` (2 for Heun-like schedulers, whose
 * timesteps repeat) is read from the scheduler when it has one.
 */
export function strengthTimesteps(
  scheduler: { readonly timesteps: readonly number[]; readonly numInferenceSteps: number; readonly order?: number },
  strength: number,
): StrengthTimesteps {
  assertStrength(strength);
  const timesteps = scheduler.timesteps;
  if (timesteps.length === 0) {
    throw kandinskyError(
      'SCHEDULER_STATE',
      'strengthTimesteps() was called before setTimesteps().',
      'Call scheduler.setTimesteps(steps) first.',
    );
  }
  const steps = scheduler.numInferenceSteps;
  const order = scheduler.order ?? 1;
  const init = Math.min(Math.floor(steps * strength), steps);
  const startIndex = Math.min(Math.max(steps - init, 0) * order, timesteps.length);
  const remaining = timesteps.slice(startIndex);
  return { startIndex, timesteps: remaining, startTimestep: remaining[0], steps: init };
}
