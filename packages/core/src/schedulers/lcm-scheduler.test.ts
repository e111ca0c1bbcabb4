import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { LCMScheduler } from './lcm-scheduler.js';
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

const NAME = 'LCMScheduler';
let worst = 0;
afterAll(() => console.info(`${NAME}: max scaled error vs PyTorch reference ${worst.toExponential(2)}`));

describe(`${NAME} reproduces diffusers' unit tests (tests/schedulers/test_scheduler_lcm.py @ af8a47dd)`, () => {
  for (const run of diffusersTests.filter((r) => r.scheduler === NAME)) {
    test(`${run.name}: sum ${run.expectedSum}, mean ${run.expectedMean}`, () => {
      const sample = rerunDiffusersTest(new LCMScheduler(run.config), run);
      const { sum, mean } = absoluteSumAndMean(sample);
      // The tolerances diffusers asserts, against the numbers it publishes.
      // diffusers asserts 1e-3 on this sum (test_scheduler_lcm.py @ af8a47dd).
      expect(Math.abs(sum - run.expectedSum!)).toBeLessThan(1e-3);
      expect(Math.abs(mean - run.expectedMean)).toBeLessThan(1e-3);
      // And the whole final sample against the PyTorch rerun.
      expect(scaledError(sample, decodeFloat32(run.sample))).toBeLessThan(2e-6);
    });
  }
});

describe(`${NAME} matches the PyTorch reference for every option, seeded noise included`, () => {
  for (const run of optionRuns.filter((r) => r.scheduler === NAME)) {
    test(optionLabel(run), () => {
      const scheduler = new LCMScheduler(run.config);
      const { sampleErrors, originalErrors, draws } = replayOptionRun(scheduler, run);
      expect(scheduler.timesteps).toEqual(run.timesteps);
      // One randn per step except the last, as diffusers draws.
      expect(draws).toBe(run.steps - run.startIndex - 1);
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

  test('timesteps as diffusers spaces them', () => {
    const scheduler = new LCMScheduler({});
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 759, 499, 259]);
    scheduler.setTimesteps(1);
    expect(scheduler.timesteps).toEqual([999]);
    scheduler.setTimesteps(4, 0.5);
    expect(scheduler.timesteps).toEqual([499, 379, 259, 139]); // the reference's set_timesteps(4, strength=0.5)
  });

  test('sample_max_value 0.5 and beta_end 2 load, as in diffusers\' LCM tests', () => {
    expect(new LCMScheduler({ thresholding: true, sample_max_value: 0.5 }).options.sampleMaxValue).toBe(0.5);
    expect(new LCMScheduler({ beta_start: 0.1, beta_end: 2 }).options.betaEnd).toBe(2);
    expect(() => new LCMScheduler({ sample_max_value: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('sample_max_value') }),
    );
  });

  test('original_inference_steps above num_train_timesteps loads (as in diffusers) but cannot set timesteps', () => {
    const scheduler = new LCMScheduler({ num_train_timesteps: 100, original_inference_steps: 200 });
    expect(() => scheduler.setTimesteps(4)).toThrow(
      expect.objectContaining({ code: 'INVALID_STEPS', message: expect.stringContaining('200') }),
    );
  });

  test('more steps than the distillation schedule → INVALID_STEPS naming the count', () => {
    const scheduler = new LCMScheduler({});
    expect(() => scheduler.setTimesteps(51)).toThrow(
      expect.objectContaining({ code: 'INVALID_STEPS', message: expect.stringContaining('51') }),
    );
    expect(() => scheduler.setTimesteps(30, 0.5)).toThrow(
      expect.objectContaining({ code: 'INVALID_STEPS', message: expect.stringContaining('25') }),
    );
  });

  test('noise comes from the generator, except on the last step', () => {
    const scheduler = new LCMScheduler({});
    scheduler.setTimesteps(2);
    const state = scheduler.createState();
    expect(() => scheduler.step(tensor(), 999, tensor(), state)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('generator') }),
    );
    state.stepIndex = 1;
    expect(() => scheduler.step(tensor(), scheduler.timesteps[1]!, tensor(), state)).not.toThrow();
  });
});
