import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.js';
import { SCALED_TOLERANCE, initialSample, replay, runLabel, runs } from './test-support/ddpm-ddim-euler-fixture.js';

let worstAbsolute = 0;
let worstScaled = 0;
afterAll(() =>
  console.info(
    `EulerDiscreteScheduler: max abs error vs PyTorch reference ${worstAbsolute.toExponential(2)} (scaled ${worstScaled.toExponential(2)})`,
  ),
);

describe('EulerDiscreteScheduler matches the PyTorch reference', () => {
  for (const run of runs.filter((r) => r.scheduler === 'EulerDiscreteScheduler')) {
    test(runLabel(run), () => {
      const scheduler = new EulerDiscreteScheduler(run.config);
      scheduler.setTimesteps(run.steps!);
      if (run.config.use_karras_sigmas || run.config.use_exponential_sigmas) {
        // Karras timesteps come from log σ of float32 values: numpy's float32 log differs from a
        // correctly rounded one in the last bit, which moves t by ≤ 1e-4.
        scheduler.timesteps.forEach((t, i) => expect(Math.abs(t - run.timesteps[i])).toBeLessThanOrEqual(1e-4));
      } else {
        expect(scheduler.timesteps).toEqual(run.timesteps);
      }
      expect(Array.from(scheduler.sigmas)).toEqual(run.sigmas);
      expect(scheduler.initNoiseSigma).toBe(run.initNoiseSigma);
      const { errors, noise } = replay(scheduler, run, { churn: run.churn });
      expect(noise.count).toBe(run.noiseDraws);
      // Zero terminal SNR starts at σ = 4096, and the first step cancels x ≈ 8·10³ down to ≈ 20:
      // PyTorch's float32 arithmetic loses 4.4e-4 there (measured against a float64 run of the
      // same reference, which TS is 5× closer to), and later steps inherit that relative error.
      const tolerance = run.config.rescale_betas_zero_snr ? 10 * SCALED_TOLERANCE : SCALED_TOLERANCE;
      for (const error of errors) {
        expect(error.scaled).toBeLessThanOrEqual(tolerance);
        worstAbsolute = Math.max(worstAbsolute, error.absolute);
        worstScaled = Math.max(worstScaled, error.scaled);
      }
    });
  }
});

describe('Euler semantics', () => {
  const dims = [1, 4, 4, 4];

  test('scaleModelInput divides by √(σ²+1) of the state step, or of the timestep lookup', () => {
    const scheduler = new EulerDiscreteScheduler({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    scheduler.setTimesteps(10);
    const x = createTensor('float32', dims, initialSample(dims));
    const sigma = scheduler.sigmas[3];
    const byState = scheduler.scaleModelInput(x, scheduler.timesteps[3], scheduler.createState(3));
    const byTimestep = scheduler.scaleModelInput(x, scheduler.timesteps[3]);
    for (let i = 0; i < x.data.length; i++) {
      expect(byState.data[i]).toBeCloseTo(x.data[i] / Math.sqrt(sigma * sigma + 1), 6);
      expect(byTimestep.data[i]).toBe(byState.data[i]);
    }
  });

  test('init_noise_sigma: σ_max for linspace, √(σ_max²+1) for leading', () => {
    const linspace = new EulerDiscreteScheduler({});
    const leading = new EulerDiscreteScheduler({ timestep_spacing: 'leading' });
    linspace.setTimesteps(10);
    leading.setTimesteps(10);
    expect(linspace.initNoiseSigma).toBe(linspace.sigmas[0]);
    expect(leading.initNoiseSigma).toBeCloseTo(Math.sqrt(leading.sigmas[0] ** 2 + 1), 4);
  });

  test('churn draws noise only when s_churn > 0', () => {
    const scheduler = new EulerDiscreteScheduler({});
    scheduler.setTimesteps(5);
    const x = createTensor('float32', dims, initialSample(dims));
    let draws = 0;
    const generator = {
      randn: (d: readonly number[]) => {
        draws++;
        return createTensor('float32', d);
      },
    };
    const t = scheduler.timesteps[0];
    const plain = scheduler.step(x, t, x, scheduler.createState(), { generator }).prevSample;
    expect(draws).toBe(0);
    // Zero noise: churn only changes σ̂.
    const churned = scheduler.step(x, t, x, scheduler.createState(), { generator, churn: 1 }).prevSample;
    expect(draws).toBe(1);
    expect(Array.from(churned.data)).not.toEqual(Array.from(plain.data));
  });
});

describe('bad input', () => {
  const dims = [1, 4, 4, 4];
  const tensor = (d = dims) => createTensor('float32', d);

  test('unsupported interpolation_type and sigma families are named', () => {
    expect(() => new EulerDiscreteScheduler({ interpolation_type: 'log_linear' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"log_linear"') }),
    );
    expect(() => new EulerDiscreteScheduler({ use_beta_sigmas: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('use_beta_sigmas') }),
    );
    expect(() => new EulerDiscreteScheduler({ final_sigmas_type: 'one' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"one"') }),
    );
  });

  test('step past the end → SCHEDULER_STATE; a timestep not in the schedule → INVALID_ARGUMENT', () => {
    const scheduler = new EulerDiscreteScheduler({});
    scheduler.setTimesteps(1);
    expect(scheduler.timesteps).toEqual([0]); // np.linspace(0, 999, 1)
    const state = scheduler.createState();
    scheduler.step(tensor(), 0, tensor(), state);
    expect(() => scheduler.step(tensor(), 0, tensor(), state)).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE', message: expect.stringContaining('past the end') }),
    );
    expect(() => scheduler.addNoise(tensor(), tensor(), 998)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('998') }),
    );
  });

  test('negative churn → INVALID_ARGUMENT', () => {
    const scheduler = new EulerDiscreteScheduler({});
    scheduler.setTimesteps(2);
    expect(() => scheduler.step(tensor(), 999, tensor(), scheduler.createState(), { churn: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('-1') }),
    );
  });
});
