import { describeValue } from '../errors/kandinsky-error.js';
import { invalidSchedulerConfig, kandinskyError } from '../errors/error-constructors.js';

/** How `setTimesteps` spaces the inference timesteps (diffusers' `timestep_spacing`). */
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

/** Accepted {@link TimestepSpacing} values. */
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['linspace', 'leading', 'trailing'];

/** Inputs of {@link spacedTimesteps}. */
export interface SpacedTimestepsOptions {
  /** Number of inference steps N (integer in [1, numTrainTimesteps]). */
  steps: number;
  /** @default 'leading' */
  spacing?: TimestepSpacing;
  /** @default 1000 */
  numTrainTimesteps?: number;
  /** Added to `leading` timesteps (the Kandinsky 3 DDPM config uses 1, spec §3.3). @default 0 */
  stepsOffset?: number;
  /**
   * `integer`: the int64 grid of DDPMScheduler/DDIMScheduler (numpy `round` = half to even);
   * `float32`: the grid of EulerDiscreteScheduler, where `linspace` is not rounded.
   * @default 'integer'
   */
  values?: 'integer' | 'float32';
}

/** Throws INVALID_STEPS unless `steps` is an integer in [1, numTrainTimesteps]. */
export function assertStepCount(steps: unknown, numTrainTimesteps: number): asserts steps is number {
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps) {
    throw kandinskyError(
      'INVALID_STEPS',
      `The number of inference steps must be an integer in [1, ${numTrainTimesteps}], got ${describeValue(steps)}.`,
      'Kandinsky 3 uses 25–50 steps with DDPM; the count cannot exceed num_train_timesteps.',
      { steps, numTrainTimesteps },
    );
  }
}

/**
 * The descending inference timesteps of diffusers' `set_timesteps` for DDPM, DDIM and
 * EulerDiscrete (Table 2 of arXiv:2305.08891), reproducing numpy exactly:
 * - `linspace`: `np.linspace(0, T−1, N)` (rounded half-to-even for the integer grid);
 * - `leading`: `k·⌊T/N⌋ + steps_offset` for k = N−1 … 0 (spec §3.3: N = 25 → 961, 921, …, 41, 1);
 * - `trailing`: `round(np.arange(T, 0, −T/N)) − 1`.
 *
 * One deliberate difference: for some N (61, 103, 121, …) numpy's float `arange` in `trailing`
 * overshoots and yields N + 1 entries, the extra one being t = −1, which diffusers then indexes
 * as ᾱ[−1] (the last table entry). We keep the N intended entries.
 *
 * Throws INVALID_STEPS for a bad step count, or when `steps_offset` pushes a timestep to ≥ T
 * (e.g. `leading`, offset 1, N = T).
 */
export function spacedTimesteps(options: SpacedTimestepsOptions): number[] {
  const {
    steps,
    spacing = 'leading',
    numTrainTimesteps = 1000,
    stepsOffset = 0,
    values = 'integer',
  } = options;
  assertStepCount(steps, numTrainTimesteps);
  const count = numTrainTimesteps;
  const timesteps: number[] = new Array<number>(steps);
  switch (spacing) {
    case 'linspace': {
      const grid = numpyLinspace(0, count - 1, steps);
      for (let k = 0; k < steps; k++) {
        const value = grid[steps - 1 - k];
        timesteps[k] = values === 'integer' ? roundHalfEven(value) : Math.fround(value);
      }
      break;
    }
    case 'leading': {
      const ratio = Math.floor(count / steps);
      for (let k = 0; k < steps; k++) timesteps[k] = (steps - 1 - k) * ratio + stepsOffset;
      break;
    }
    case 'trailing': {
      const ratio = count / steps;
      // numpy's float arange fill: a[0] = start, a[1] = start + step, a[i] = start + i·delta
      // with delta = a[1] − a[0].
      const second = count - ratio;
      const delta = second - count;
      for (let k = 0; k < steps; k++) {
        const value = k === 0 ? count : k === 1 ? second : count + k * delta;
        timesteps[k] = roundHalfEven(value) - 1;
      }
      break;
    }
    default:
      throw invalidSchedulerConfig(
        'timestep_spacing',
        spacing,
        `Unknown timestep_spacing ${describeValue(spacing)}.`,
        `Use one of ${TIMESTEP_SPACINGS.map((name) => `"${name}"`).join(', ')}.`,
      );
  }
  const first = timesteps[0];
  if (first >= count) {
    throw kandinskyError(
      'INVALID_STEPS',
      `${steps} steps with "${spacing}" spacing and steps_offset ${stepsOffset} give timestep ${first}, beyond the last training timestep ${count - 1}.`,
      'Use fewer steps, steps_offset 0, or "trailing" spacing.',
      { steps, spacing, stepsOffset, timestep: first },
    );
  }
  return timesteps;
}

/**
 * `np.linspace(start, stop, count)` in float64: `i·step + start` with `step = (stop − start)/(count − 1)`,
 * the last entry exactly `stop`.
 */
export function numpyLinspace(start: number, stop: number, count: number): number[] {
  const result = new Array<number>(count);
  if (count === 1) {
    result[0] = start;
    return result;
  }
  const step = (stop - start) / (count - 1);
  for (let i = 0; i < count; i++) result[i] = i * step + start;
  result[count - 1] = stop;
  return result;
}

/** numpy's `round` (`rint`): halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
