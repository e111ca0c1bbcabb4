import type { DPMSolverConfig } from './dpm-solver-config.js';
import { assertStepCount, numpyLinspace, roundHalfEven } from './timestep-spacing.js';

const f32 = Math.fround;

/** Timesteps and noise levels of one DPM-Solver schedule. */
export interface DPMSolverSchedule {
  /** Integer timesteps fed to the model, descending (may repeat with Karras/Lu spacing). */
  timesteps: number[];
  /** σ per step plus the final σ (length `timesteps.length + 1`), float32 values. */
  sigmas: Float64Array;
}

/**
 * Builds the schedule exactly as diffusers' `DPMSolverMultistepScheduler.set_timesteps` does
 * (spec §3.6): timesteps from `timestep_spacing` (after clipping λ at `lambda_min_clipped`),
 * σ_t = √((1−ᾱ_t)/ᾱ_t) from the float32 table (interpolated in float64 like `np.interp`), or
 * Karras / Lu spacing with timesteps mapped back through log σ, then the final σ (0 or σ_min), all
 * cast to float32. E.g. the KandiSuperRes config with 5 steps gives timesteps
 * [999, 799, 599, 400, 200] and σ [157.40727, 25.528484, 6.1352100, 2.0410874, 0.72359121, 0].
 */
export function dpmSolverSchedule(
  config: DPMSolverConfig,
  alphasCumprod: Float64Array,
  steps: number,
): DPMSolverSchedule {
  const count = config.numTrainTimesteps;
  assertStepCount(steps, count);
  // σ table in torch float32 arithmetic: ((1 − ᾱ) / ᾱ) ** 0.5.
  const sigmaTable = new Float64Array(count);
  const logSigmas = new Float64Array(count);
  for (let t = 0; t < count; t++) {
    const a = alphasCumprod[t];
    sigmaTable[t] = f32(Math.sqrt(f32(f32(1 - a) / a)));
    logSigmas[t] = f32(Math.log(sigmaTable[t])); // np.log of a float32 array stays float32
  }

  let timesteps: number[];
  let sigmas: number[];
  if (config.useKarrasSigmas || config.useLuLambdas) {
    const ramp = numpyLinspace(0, 1, steps);
    if (config.useKarrasSigmas) {
      // Karras et al. (2022), rho = 7.
      const rho = 7;
      const minInvRho = sigmaTable[0] ** (1 / rho);
      const maxInvRho = sigmaTable[count - 1] ** (1 / rho);
      sigmas = ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
    } else {
      // Lu et al. (2022): uniform in log σ (diffusers' `_convert_to_lu`, rho = 1).
      const lambdaMin = logSigmas[0];
      const lambdaMax = logSigmas[count - 1];
      sigmas = ramp.map((r) => Math.exp(lambdaMax + r * (lambdaMin - lambdaMax)));
    }
    timesteps = sigmas.map((sigma) => roundHalfEven(sigmaToTimestep(sigma, logSigmas)));
  } else {
    timesteps = spacedTimesteps(config, alphasCumprod, steps);
    sigmas = timesteps.map((t) => interpolate(sigmaTable, t));
  }
  const finalSigma = config.finalSigmasType === 'sigma_min' ? sigmaTable[0] : 0;
  const table = new Float64Array(sigmas.length + 1);
  for (let i = 0; i < sigmas.length; i++) table[i] = f32(sigmas[i]);
  table[sigmas.length] = finalSigma;
  return { timesteps, sigmas: table };
}

/** linspace / leading / trailing spacing of diffusers (Table 2 of arXiv:2305.08891). */
function spacedTimesteps(config: DPMSolverConfig, alphasCumprod: Float64Array, steps: number): number[] {
  const count = config.numTrainTimesteps;
  // Clip λ(t) from below (critical for the cosine schedule): last usable timestep.
  let clipped = 0;
  if (config.lambdaMinClipped > Number.NEGATIVE_INFINITY) {
    for (let t = 0; t < count; t++) {
      const a = alphasCumprod[t];
      const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
      if (lambda < config.lambdaMinClipped) clipped++;
    }
  }
  const last = count - clipped;
  switch (config.timestepSpacing) {
    case 'linspace':
      return numpyLinspace(0, last - 1, steps + 1)
        .map(roundHalfEven)
        .reverse()
        .slice(0, steps);
    case 'leading': {
      const ratio = Math.floor(last / (steps + 1));
      const result: number[] = [];
      for (let k = steps; k >= 1; k--) result.push(k * ratio + config.stepsOffset);
      return result;
    }
    case 'trailing': {
      // np.arange(last, 0, -ratio).round() - 1, with numpy's float arange.
      const ratio = count / steps;
      const second = last - ratio;
      const delta = second - last;
      const length = Math.ceil(last / ratio);
      const result: number[] = [];
      // numpy's float arange can overshoot by one entry that rounds to t = −1 (see
      // timestep-spacing.ts); such entries are dropped rather than fed to the model.
      for (let i = 0; i < length; i++) {
        const t = roundHalfEven(i === 0 ? last : i === 1 ? second : last + i * delta) - 1;
        if (t >= 0) result.push(t);
      }
      return result;
    }
  }
}

/** diffusers' `_sigma_to_t`: piecewise-linear inverse of log σ(t) over the training table. */
function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // Last index with logSigmas[i] ≤ logSigma (0 if none), as `cumsum(dists >= 0).argmax()`.
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lowValue = logSigmas[low];
  const highValue = logSigmas[low + 1];
  let weight = (lowValue - logSigma) / f32(lowValue - highValue);
  weight = Math.min(Math.max(weight, 0), 1);
  return (1 - weight) * low + weight * (low + 1);
}

/** `np.interp(t, arange(n), table)`, clamped at both ends like numpy. */
function interpolate(table: Float64Array, t: number): number {
  if (t <= 0) return table[0];
  if (t >= table.length - 1) return table[table.length - 1];
  const low = Math.floor(t);
  const weight = t - low;
  return weight === 0 ? table[low] : table[low] + weight * (table[low + 1] - table[low]);
}
