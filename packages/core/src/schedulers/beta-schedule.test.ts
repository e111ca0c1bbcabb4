import { describe, expect, test } from 'vitest';
import fixture from './fixtures/beta-schedules.json';
import { alphasCumprod, betaSchedule, rescaleZeroTerminalSnr, type BetaScheduleName } from './beta-schedule.js';
import { decodeFloat32 } from './test-support/ddpm-ddim-euler-fixture.js';

/** Number of entries where the TS table differs from torch's float32 bits. */
function mismatches(actual: Float64Array, expected: Float32Array): number {
  let count = 0;
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) count++;
  return count + Math.abs(actual.length - expected.length);
}

describe('betaSchedule / alphasCumprod are bit-identical to torch (tools/reference/schedulers_ddpm_ddim_euler.py)', () => {
  for (const [name, entry] of Object.entries(fixture.schedules)) {
    test(name, () => {
      const config = entry.config as { beta_schedule: BetaScheduleName; beta_start?: number; beta_end?: number; rescale_betas_zero_snr?: boolean };
      let betas = betaSchedule({ schedule: config.beta_schedule, betaStart: config.beta_start, betaEnd: config.beta_end });
      if (config.rescale_betas_zero_snr) betas = rescaleZeroTerminalSnr(betas);
      expect(mismatches(betas, decodeFloat32(entry.betas))).toBe(0);
      expect(mismatches(alphasCumprod(betas), decodeFloat32(entry.alphasCumprod))).toBe(0);
    });
  }
});

describe('spec §3.1 measured values', () => {
  test('cosine: ᾱ₀ = 0.9999587, ᾱ₉₉₉ = 2.4287e-9, β₉₉₉ = 0.999', () => {
    const betas = betaSchedule({ schedule: 'squaredcos_cap_v2' });
    const cumulative = alphasCumprod(betas);
    expect(cumulative[0]).toBeCloseTo(0.9999587, 7);
    expect(cumulative[999] / 2.4287e-9).toBeCloseTo(1, 4);
    expect(betas[999]).toBe(Math.fround(0.999));
  });

  test('linear: ᾱ₀ = 0.9999 and β runs from 1e-4 to 0.02', () => {
    const betas = betaSchedule({ schedule: 'linear' });
    expect(betas[0]).toBe(Math.fround(0.0001));
    expect(betas[999]).toBe(Math.fround(0.02));
    expect(alphasCumprod(betas)[0]).toBe(Math.fround(0.9999));
  });

  test('zero terminal SNR rescale ends at ᾱ = 0 and keeps ᾱ₀', () => {
    const betas = betaSchedule({ schedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 });
    const rescaled = rescaleZeroTerminalSnr(betas);
    expect(rescaled[999]).toBe(1);
    expect(alphasCumprod(rescaled)[999]).toBe(0);
    expect(alphasCumprod(rescaled)[0]).toBeCloseTo(alphasCumprod(betas)[0], 7);
  });
});

describe('bad input', () => {
  test('unknown beta_schedule names the value', () => {
    expect(() => betaSchedule({ schedule: 'cosine' as BetaScheduleName })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"cosine"') }),
    );
  });

  test('negative num_train_timesteps names the value', () => {
    expect(() => betaSchedule({ numTrainTimesteps: -5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('-5') }),
    );
  });
});
