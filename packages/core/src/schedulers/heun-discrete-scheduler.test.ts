import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { HeunDiscreteScheduler } from './heun-discrete-scheduler.js';
import {
  absoluteSumAndMean,
  decodeFloat32,
  diffusersTests,
  optionLabel,
  optionRuns,
  replayOptionRun,
  rerunDiffusersTest,
  scaledError,
} from './test-support/ancestral-heun-lcm-unipc-fixture.js';

const NAME = 'HeunDiscreteScheduler';
let worst = 0;
afterAll(() => console.info(`${NAME}: max scaled error vs PyTorch reference ${worst.toExponential(2)}`));

describe(`${NAME} reproduces diffusers' unit tests (tests/schedulers/test_scheduler_heun.py @ 18dcab75)`, () => {
  for (const run of diffusersTests.filter((r) => r.scheduler === NAME)) {
    test(`${run.name}: sum ${run.expectedSum}, mean ${run.expectedMean}`, () => {
      const sample = rerunDiffusersTest(new HeunDiscreteScheduler(run.config), run);
      const { sum, mean } = absoluteSumAndMean(sample);
      // The tolerances diffusers asserts, against the numbers it publishes.
      expect(Math.abs(sum - run.expectedSum!)).toBeLessThan(1e-2);
      expect(Math.abs(mean - run.expectedMean)).toBeLessThan(1e-3);
      // And the whole final sample against the PyTorch rerun.
      expect(scaledError(sample, decodeFloat32(run.sample))).toBeLessThan(2e-6);
    });
  }
});

describe(`${NAME} matches the PyTorch reference for every option, two model calls per timestep`, () => {
  for (const run of optionRuns.filter((r) => r.scheduler === NAME)) {
    test(optionLabel(run), () => {
      const scheduler = new HeunDiscreteScheduler(run.config);
      const { sampleErrors, originalErrors, draws } = replayOptionRun(scheduler, run);
      if (run.config.use_karras_sigmas || run.config.use_exponential_sigmas) {
        // Timesteps mapped back through log σ: numpy's float32 log differs from a correctly
        // rounded one in the last bit, which moves t by ≤ 1e-4 (as for EulerDiscrete).
        scheduler.timesteps.forEach((t, i) => expect(Math.abs(t - run.timesteps[i]!)).toBeLessThanOrEqual(1e-4));
      } else {
        expect(scheduler.timesteps).toEqual(run.timesteps);
      }
      expect(Array.from(scheduler.sigmas)).toEqual(run.sigmas);
      expect(scheduler.initNoiseSigma).toBe(run.initNoiseSigma);
      expect(draws).toBe(0);
      for (const error of [...sampleErrors, ...originalErrors]) {
        expect(error).toBeLessThanOrEqual(2e-6);
        worst = Math.max(worst, error);
      }
    });
  }
});

describe('semantics and bad input', () => {
  const dims = [1, 4, 4, 4];
  const tensor = () => createTensor('float32', dims);

  test('timesteps repeat in pairs after the first and the state carries the Euler half', () => {
    const scheduler = new HeunDiscreteScheduler({});
    scheduler.setTimesteps(3);
    const [t0, t1, t1b, t2, t2b] = scheduler.timesteps;
    expect(scheduler.timesteps).toHaveLength(5);
    expect([t1b, t2b]).toEqual([t1, t2]);
    expect(t0).toBe(999);
    expect(scheduler.numInferenceSteps).toBe(3);
    expect(scheduler.sigmas[1]).toBe(scheduler.sigmas[2]);
    expect(scheduler.sigmas[5]).toBe(0);
    const state = scheduler.createState();
    const x = createTensor('float32', dims, new Float32Array(64).fill(1));
    scheduler.step(tensor(), t0!, x, state);
    expect(state.dt).not.toBeNull();
    // The remembered sample is a copy: overwriting the input does not change the second half.
    x.data.fill(5);
    expect(state.firstOrderSample![0]).toBe(1);
    scheduler.step(tensor(), t1!, x, state);
    expect(state.dt).toBeNull();
  });

  test('no noise is drawn', () => {
    const scheduler = new HeunDiscreteScheduler({});
    scheduler.setTimesteps(2);
    const generator = { randn: () => { throw new Error('drew noise'); } };
    const state = scheduler.createState();
    for (const t of scheduler.timesteps) scheduler.step(tensor(), t, tensor(), state, { generator });
  });

  test('bad configs name the key; foreign keys (rescale_betas_zero_snr included) are ignored', () => {
    expect(() => new HeunDiscreteScheduler({ use_karras_sigmas: true, use_exponential_sigmas: true })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('use_exponential_sigmas') }),
    );
    expect(() => new HeunDiscreteScheduler({ beta_schedule: 'sigmoid' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"sigmoid"') }),
    );
    const scheduler = new HeunDiscreteScheduler({ rescale_betas_zero_snr: true, set_alpha_to_one: false });
    expect(scheduler.options.rescaleBetasZeroSnr).toBe(false);
    expect(scheduler.ignoredConfigKeys).toEqual(['rescale_betas_zero_snr', 'set_alpha_to_one']);
  });
});
