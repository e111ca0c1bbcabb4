import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, invalidSchedulerConfig } from '../errors/error-constructors.js';
import { checkOptionalObject } from '../errors/argument-checks.js';

/**
 * Beta schedules of diffusers that Kandinsky models use or that users may configure. `exp`
 * (`betas_for_alpha_bar` with ᾱ(t) = e^{−12t}) is only read by the schedulers that accept it in
 * diffusers (HeunDiscreteScheduler).
 */
export type BetaScheduleName = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2' | 'exp';

/** The accepted {@link BetaScheduleName} values, for validation messages. */
export const BETA_SCHEDULE_NAMES: readonly BetaScheduleName[] = [
  'linear',
  'scaled_linear',
  'squaredcos_cap_v2',
];

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

/** diffusers' `betas_for_alpha_bar(max_beta=0.999)` cap (spec §3.1: β₉₉₉ = 0.999). */
const COSINE_MAX_BETA = 0.999;

/**
 * Betas as float32 values (stored in a Float64Array for convenient float64 arithmetic later),
 * bit-identical to the float32 tensors diffusers builds (spec §3.1, verified against torch 1.13):
 * - `linear`: `torch.linspace(start, end, T, dtype=float32)`;
 * - `scaled_linear`: `torch.linspace(√start, √end, T, dtype=float32) ** 2`;
 * - `squaredcos_cap_v2`: `min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999)` in float64, then cast to float32.
 */
export function betaSchedule(options: BetaScheduleOptions = {}): Float64Array {
  checkOptionalObject('options', options, 'Pass e.g. { schedule: "linear", numTrainTimesteps: 1000 }.');
  const { schedule = 'linear', numTrainTimesteps = 1000, betaStart = 0.0001, betaEnd = 0.02 } =
    options;
  if (!Number.isInteger(numTrainTimesteps) || numTrainTimesteps < 2) {
    throw invalidSchedulerConfig(
      'num_train_timesteps',
      numTrainTimesteps,
      `num_train_timesteps must be an integer ≥ 2, got ${describeValue(numTrainTimesteps)}.`,
      'Kandinsky models use num_train_timesteps = 1000.',
    );
  }
  const count = numTrainTimesteps;
  switch (schedule) {
    case 'linear':
      return linspaceFloat32(betaStart, betaEnd, count);
    case 'scaled_linear': {
      const betas = linspaceFloat32(Math.sqrt(betaStart), Math.sqrt(betaEnd), count);
      for (let i = 0; i < count; i++) betas[i] = toFloat32(betas[i] * betas[i]);
      return betas;
    }
    case 'squaredcos_cap_v2':
      return betasForAlphaBar(count, (s) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2);
    case 'exp':
      return betasForAlphaBar(count, (s) => Math.exp(s * -12));
    default:
      throw invalidSchedulerConfig(
        'beta_schedule',
        schedule,
        `Unknown beta_schedule ${describeValue(schedule)}.`,
        `Use one of ${BETA_SCHEDULE_NAMES.map((name) => `"${name}"`).join(', ')}.`,
      );
  }
}

/** diffusers' `betas_for_alpha_bar`: `min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999)` in float64, cast to float32. */
function betasForAlphaBar(count: number, alphaBar: (s: number) => number): Float64Array {
  const betas = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const beta = 1 - alphaBar((i + 1) / count) / alphaBar(i / count);
    betas[i] = toFloat32(Math.min(beta, COSINE_MAX_BETA));
  }
  return betas;
}

/**
 * ᾱ_t = Π_{i≤t} (1 − β_i), bit-identical to `torch.cumprod(1.0 - betas, dim=0)` on a float32
 * CPU tensor: `1 − β` is a float32 subtraction, but PyTorch's CPU cumprod accumulates in
 * `acc_type<float>` = double and rounds each output to float32 (measured: accumulating in float32
 * instead differs from torch at 991 of the 1000 cosine entries).
 */
export function alphasCumprod(betas: Float64Array): Float64Array {
  if (!(betas instanceof Float64Array)) throw invalidArgument('betas', betas, 'a Float64Array', 'Pass the result of betaSchedule().');
  const result = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= toFloat32(1 - betas[i]);
    result[i] = toFloat32(product);
  }
  return result;
}

/**
 * diffusers' `rescale_zero_terminal_snr(betas)` (Lin et al. 2023, "Common Diffusion Noise
 * Schedules and Sample Steps are Flawed", Algorithm 1), in float32 arithmetic like the torch
 * original: shifts and scales √ᾱ so that ᾱ_{T−1} = 0 while keeping ᾱ₀, then returns the new betas
 * (the last one is exactly 1).
 */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const cumulative = alphasCumprod(betas);
  const count = betas.length;
  const roots = new Float64Array(count);
  for (let i = 0; i < count; i++) roots[i] = toFloat32(Math.sqrt(cumulative[i]));
  const first = roots[0];
  const last = roots[count - 1];
  const scale = toFloat32(first / toFloat32(first - last));
  const alphaBars = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const root = toFloat32(toFloat32(roots[i] - last) * scale);
    alphaBars[i] = toFloat32(root * root);
  }
  const result = new Float64Array(count);
  result[0] = toFloat32(1 - alphaBars[0]);
  for (let i = 1; i < count; i++) {
    result[i] = toFloat32(1 - toFloat32(alphaBars[i] / alphaBars[i - 1]));
  }
  return result;
}

/**
 * `torch.linspace(start, end, count, dtype=torch.float32)` bit for bit, as PyTorch's CPU kernel
 * computes it (ATen `linspace_kernel`, AVX2 build, verified against torch 1.13 on 300 random
 * ranges): `step = (end − start)/(count − 1)` in float32; the first half counts forward from
 * `start`, the second half backward from `end`; elements are produced in blocks of 16 as two
 * 8-lane vectors, each vector anchored at `fma(step, index, start)` (resp. `end − step·k`) and
 * filled with `anchor + j·step`, and the tail (< 16 elements) uses the fused scalar formula.
 * A naive `start + i·step` differs from torch in about a third of the entries.
 */
function linspaceFloat32(start: number, end: number, count: number): Float64Array {
  const lanes = 8;
  const start32 = toFloat32(start);
  const end32 = toFloat32(end);
  const step = toFloat32(toFloat32(end32 - start32) / (count - 1));
  const halfway = Math.floor(count / 2);
  const anchor = (index: number) =>
    index < halfway
      ? fusedMultiplyAddFloat32(step, index, start32)
      : fusedMultiplyAddFloat32(-step, count - index - 1, end32);
  const target = new Float64Array(count);
  let index = 0;
  for (; index <= count - 2 * lanes; index += 2 * lanes) {
    for (let vector = index; vector < index + 2 * lanes; vector += lanes) {
      const base = anchor(vector);
      for (let lane = 0; lane < lanes; lane++) {
        target[vector + lane] = toFloat32(base + toFloat32(lane * step));
      }
    }
  }
  for (; index < count; index++) target[index] = anchor(index);
  return target;
}

const fmaScratch = new Float64Array(1);
const fmaBits = new BigInt64Array(fmaScratch.buffer);

/**
 * Correctly rounded float32 `a·b + c` for float32 inputs (a hardware FMA), via an exact float64
 * product, TwoSum, and round-to-odd so that the final float32 rounding is not a double rounding.
 */
function fusedMultiplyAddFloat32(a: number, b: number, c: number): number {
  const product = a * b; // exact: 24 + 24 bits fit in a double
  const sum = product + c;
  const virtual = sum - product;
  const error = product - (sum - virtual) + (c - virtual);
  if (error === 0 || !Number.isFinite(sum)) return toFloat32(sum);
  fmaScratch[0] = sum;
  if ((fmaBits[0] & 1n) === 0n) fmaBits[0] += error > 0 === sum > 0 ? 1n : -1n;
  return toFloat32(fmaScratch[0]);
}
