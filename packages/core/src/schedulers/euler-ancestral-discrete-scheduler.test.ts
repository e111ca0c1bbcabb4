import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler.js';
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

const NAME = 'EulerAncestralDiscreteScheduler';
let worst = 0;
afterAll(() => console.info(`${NAME}: max scaled error vs PyTorch reference ${worst.toExponential(2)}`));

describe(`${NAME} reproduces diffusers' unit tests (tests/schedulers/test_scheduler_euler_ancestral.py @ 4004496d)`, () => {
  for (const run of diffusersTests.filter((r) => r.scheduler === NAME)) {
    test(`${run.name}: sum ${run.expectedSum}, mean ${run.expectedMean}`, () => {
      const sample = rerunDiffusersTest(new EulerAncestralDiscreteScheduler(run.config), run);
      const { sum, mean } = absoluteSumAndMean(sample);
      // The tolerances diffusers asserts, against the numbers it publishes.
      expect(Math.abs(sum - run.expectedSum!)).toBeLessThan(1e-2);
      expect(Math.abs(mean - run.expectedMean)).toBeLessThan(1e-3);
      // And the whole final sample against the PyTorch rerun.
      expect(scaledError(sample, decodeFloat32(run.sample))).toBeLessThan(2e-6);
    });
  }
});

describe(`${NAME} matches the PyTorch reference for every option, seeded noise included`, () => {
  for (const run of optionRuns.filter((r) => r.scheduler === NAME)) {
    test(optionLabel(run), () => {
      const scheduler = new EulerAncestralDiscreteScheduler(run.config);
      const { sampleErrors, originalErrors, draws } = replayOptionRun(scheduler, run);
      expect(scheduler.timesteps).toEqual(run.timesteps);
      expect(Array.from(scheduler.sigmas)).toEqual(run.sigmas);
      expect(scheduler.initNoiseSigma).toBe(run.initNoiseSigma);
      // One randn per step, the last (σ_up = 0) included, as diffusers draws.
      expect(draws).toBe(run.steps - run.startIndex);
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

  test('the generator is required: noise is drawn on every step', () => {
    const scheduler = new EulerAncestralDiscreteScheduler({});
    scheduler.setTimesteps(2);
    const t = scheduler.timesteps[0]!;
    expect(() => scheduler.step(tensor(), t, tensor(), scheduler.createState())).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('generator') }),
    );
  });

  test('prediction_type "sample" loads, as in diffusers, and step() names it', () => {
    const scheduler = new EulerAncestralDiscreteScheduler({ prediction_type: 'sample' });
    scheduler.setTimesteps(2);
    const generator = { randn: (d: readonly number[]) => createTensor('float32', d) };
    expect(() => scheduler.step(tensor(), scheduler.timesteps[0]!, tensor(), scheduler.createState(), { generator })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"sample"') }),
    );
  });

  test('unknown values and foreign keys', () => {
    expect(() => new EulerAncestralDiscreteScheduler({ timestep_spacing: 'uniform' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"uniform"') }),
    );
    const scheduler = new EulerAncestralDiscreteScheduler({ clip_sample: true, set_alpha_to_one: false });
    expect(scheduler.ignoredConfigKeys).toEqual(['clip_sample', 'set_alpha_to_one']);
  });

  test('a timestep not in the schedule → INVALID_ARGUMENT', () => {
    const scheduler = new EulerAncestralDiscreteScheduler({});
    scheduler.setTimesteps(3);
    expect(() => scheduler.addNoise(tensor(), tensor(), 998)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('998') }),
    );
  });
});
