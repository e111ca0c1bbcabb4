import { trainingTables, type TrainingScheduleConfig, type TrainingTables } from './scheduler-config.js';
import { numpyLinspace } from './timestep-spacing.js';

const f32 = Math.fround;

/**
 * σ_t = √((1−ᾱ_t)/ᾱ_t) for every training timestep, in torch float32 arithmetic (the table the
 * σ-space schedulers of diffusers interpolate; spec §3.1).
 */
export function trainingSigmas(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/**
 * The training tables of a σ-space scheduler (Euler, Euler a, Heun, UniPC): β and ᾱ as
 * {@link trainingTables} builds them, except that with `rescale_betas_zero_snr` the last ᾱ is
 * 2^-24 instead of 0, as diffusers sets it so that the first σ stays finite; and σ_t.
 */
export function sigmaTrainingTables(config: TrainingScheduleConfig): TrainingTables & { sigmas: Float64Array } {
  const { betas, alphasCumprod } = trainingTables(config);
  if (config.rescaleBetasZeroSnr) alphasCumprod[alphasCumprod.length - 1] = 2 ** -24;
  return { betas, alphasCumprod, sigmas: trainingSigmas(alphasCumprod) };
}

/** `np.log` of a float32 σ table (numpy keeps float32, so the result is rounded to float32). */
export function logSigmas(sigmas: Float64Array): Float64Array {
  return sigmas.map((sigma) => f32(Math.log(sigma)));
}

/**
 * `np.interp(t, arange(T), table)` in float64: linear between the neighbouring integer
 * timesteps, exact at integers, clamped at both ends.
 */
export function interpolateSigma(table: Float64Array, t: number): number {
  const last = table.length - 1;
  if (t >= last) return table[last]!;
  if (t <= 0) return table[0]!;
  const low = Math.floor(t);
  if (low === t) return table[low]!;
  const slope = table[low + 1]! - table[low]!;
  return slope * (t - low) + table[low]!;
}

/** diffusers' `_sigma_to_t`: the fractional timestep whose log σ matches, by linear interpolation. */
export function sigmaToTimestep(sigma: number, logTable: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // Last index whose log σ is ≤ the target (0 if none), kept below the final entry.
  let low = 0;
  for (let i = 0; i < logTable.length; i++) if (logSigma - logTable[i]! >= 0) low = i;
  low = Math.min(low, logTable.length - 2);
  const lowLog = logTable[low]!;
  const highLog = logTable[low + 1]!;
  // numpy subtracts the two float32 table entries in float32.
  let weight = (lowLog - logSigma) / f32(lowLog - highLog);
  weight = Math.min(Math.max(weight, 0), 1);
  return (1 - weight) * low + weight * (low + 1);
}

/** Karras et al. (2022) σ spacing with ρ = 7 from `sigmaMax` down to `sigmaMin` (float64). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInverse = sigmaMin ** (1 / rho);
  const maxInverse = sigmaMax ** (1 / rho);
  return numpyLinspace(0, 1, steps).map((r) => (maxInverse + r * (minInverse - maxInverse)) ** rho);
}

/** diffusers' `_convert_to_exponential`: σ uniform in log space from `sigmaMax` to `sigmaMin`. */
export function exponentialSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  return numpyLinspace(Math.log(sigmaMax), Math.log(sigmaMin), steps).map(Math.exp);
}

/**
 * The standard deviation of the initial noise of the σ-space schedulers: σ_max for `linspace` and
 * `trailing` spacing, √(σ_max²+1) for `leading` (diffusers' `init_noise_sigma`).
 */
export function sigmaSpaceInitNoiseSigma(sigmas: Float64Array, spacing: string): number {
  let max = 0;
  for (const sigma of sigmas) if (sigma > max) max = sigma;
  return spacing === 'leading' ? f32(Math.sqrt(f32(f32(max * max) + 1))) : max;
}

/** `sample / √(σ²+1)` in float32 (the σ-space schedulers' `scale_model_input`). */
export function scaleBySigma(data: Float32Array, sigma: number, out: Float32Array): void {
  const scale = f32(Math.sqrt(f32(f32(sigma * sigma) + 1)));
  for (let i = 0; i < out.length; i++) out[i] = data[i]! / scale;
}
