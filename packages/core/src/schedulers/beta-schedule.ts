import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';

/** Beta schedules of diffusers that Kandinsky models use or that users may configure. */
export type BetaScheduleName = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';

/** Inputs of {@link betaSchedule}. */
export interface BetaScheduleOptions {
  /** @default 'linear' */
  schedule?: BetaScheduleName;
  /** @default 1000 */
  numTrainTimesteps?: number;
  /** @default 0.0001 */
  betaStart?: number;
  /** @default 0.02 */
  betaEnd?: number;
}

/** Rounds a float64 to the nearest float32, the precision of the PyTorch tables. */
export const toFloat32 = Math.fround;

/**
 * Betas as float32 values (stored in a Float64Array for convenient float64 arithmetic later),
 * computed the way diffusers computes them (spec §3.1):
 * - `linear`: `torch.linspace(start, end, T, dtype=float32)`;
 * - `scaled_linear`: `torch.linspace(√start, √end, T, dtype=float32) ** 2`;
 * - `squaredcos_cap_v2`: `min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999)` in float64, then cast to float32.
 */
export function betaSchedule(options: BetaScheduleOptions = {}): Float64Array {
  const { schedule = 'linear', numTrainTimesteps = 1000, betaStart = 0.0001, betaEnd = 0.02 } =
    options;
  if (!Number.isInteger(numTrainTimesteps) || numTrainTimesteps < 2) {
    throw new KandinskyError({
      code: 'INVALID_SCHEDULER_CONFIG',
      message: `num_train_timesteps must be an integer ≥ 2, got ${describeValue(numTrainTimesteps)}.`,
      hint: 'Kandinsky models use num_train_timesteps = 1000.',
    });
  }
  const count = numTrainTimesteps;
  const betas = new Float64Array(count);
  switch (schedule) {
    case 'linear':
      fillLinspaceFloat32(betas, betaStart, betaEnd);
      break;
    case 'scaled_linear': {
      fillLinspaceFloat32(betas, Math.sqrt(betaStart), Math.sqrt(betaEnd));
      for (let i = 0; i < count; i++) betas[i] = toFloat32(betas[i] * betas[i]);
      break;
    }
    case 'squaredcos_cap_v2': {
      const alphaBar = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      for (let i = 0; i < count; i++) {
        const beta = 1 - alphaBar((i + 1) / count) / alphaBar(i / count);
        betas[i] = toFloat32(Math.min(beta, 0.999));
      }
      break;
    }
    default:
      throw new KandinskyError({
        code: 'INVALID_SCHEDULER_CONFIG',
        message: `Unknown beta_schedule ${describeValue(schedule)}.`,
        hint: 'Use "linear", "scaled_linear" or "squaredcos_cap_v2".',
      });
  }
  return betas;
}

/**
 * ᾱ_t = Π_{i≤t} (1 − β_i), accumulated in float32 like `torch.cumprod` on a float32 tensor
 * (spec §3.1: "float32 cumulative product in both references").
 */
export function alphasCumprod(betas: Float64Array): Float64Array {
  const result = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product = toFloat32(product * toFloat32(1 - betas[i]));
    result[i] = product;
  }
  return result;
}

/**
 * `torch.linspace(start, end, n, dtype=float32)`: PyTorch computes the first half forward from
 * `start` and the second half backward from `end` with a float32 step.
 */
function fillLinspaceFloat32(target: Float64Array, start: number, end: number): void {
  const count = target.length;
  const step = toFloat32((end - start) / (count - 1));
  const half = Math.floor(count / 2);
  const start32 = toFloat32(start);
  const end32 = toFloat32(end);
  for (let i = 0; i < count; i++) {
    target[i] =
      i < half ? toFloat32(start32 + toFloat32(step * i)) : toFloat32(end32 - toFloat32(step * (count - 1 - i)));
  }
}
