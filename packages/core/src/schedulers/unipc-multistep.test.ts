import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { UniPCMultistepScheduler } from './unipc-multistep.js';
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

const NAME = 'UniPCMultistepScheduler';
let worst = 0;
afterAll(() => console.info(`${NAME}: max scaled error vs PyTorch reference ${worst.toExponential(2)}`));

describe(`${NAME} reproduces diffusers' unit tests (tests/schedulers/test_scheduler_unipc.py @ 036e33e8)`, () => {
  for (const run of diffusersTests.filter((r) => r.scheduler === NAME)) {
    test(`${run.name}: sum ${run.expectedSum}, mean ${run.expectedMean}`, () => {
      const sample = rerunDiffusersTest(new UniPCMultistepScheduler(run.config), run);
      const { sum, mean } = absoluteSumAndMean(sample);
      // The tolerances diffusers asserts, against the numbers it publishes (most UniPC tests assert the mean only).
      if (run.expectedSum !== null) expect(Math.abs(sum - run.expectedSum)).toBeLessThan(1e-2);
      expect(Math.abs(mean - run.expectedMean)).toBeLessThan(1e-3);
      // And the whole final sample against the PyTorch rerun.
      expect(scaledError(sample, decodeFloat32(run.sample))).toBeLessThan(2e-6);
    });
  }
});

describe(`${NAME} matches the PyTorch reference for every option, orders 1–4, bh1/bh2, corrector`, () => {
  for (const run of optionRuns.filter((r) => r.scheduler === NAME)) {
    test(optionLabel(run), () => {
      const scheduler = new UniPCMultistepScheduler(run.config);
      const { sampleErrors, originalErrors, draws } = replayOptionRun(scheduler, run);
      expect(scheduler.timesteps).toEqual(run.timesteps);
      expect(Array.from(scheduler.sigmas)).toEqual(run.sigmas);
      expect(draws).toBe(0);
      // Without predict_x0 the reference records ε where this scheduler returns the x0 estimate.
      const compared = run.config.predict_x0 === false ? sampleErrors : [...sampleErrors, ...originalErrors];
      for (const error of compared) {
        expect(error).toBeLessThanOrEqual(2e-6);
        worst = Math.max(worst, error);
      }
    });
  }
});

describe('semantics and bad input', () => {
  const dims = [1, 4, 4, 4];

  test('diffusers\' test config: σ_min final sigma, integer timesteps', () => {
    const scheduler = new UniPCMultistepScheduler({ final_sigmas_type: 'sigma_min' });
    scheduler.setTimesteps(10);
    // np.linspace(0, 999, 11).round()[::-1][:-1]
    expect(scheduler.timesteps).toEqual([999, 899, 799, 699, 599, 500, 400, 300, 200, 100]);
    expect(scheduler.sigmas.at(-1)).toBeGreaterThan(0);
  });

  test('the corrected sample lives in the state: the caller\'s buffers are never written', () => {
    const scheduler = new UniPCMultistepScheduler({});
    scheduler.setTimesteps(4);
    const state = scheduler.createState();
    const x = createTensor('float32', dims, new Float32Array(64).fill(0.5));
    const model = createTensor('float32', dims, new Float32Array(64).fill(0.1));
    const first = scheduler.step(model, scheduler.timesteps[0]!, x, state).prevSample;
    const copy = first.data.slice();
    scheduler.step(model, scheduler.timesteps[1]!, first, state);
    expect(first.data).toEqual(copy);
    expect(x.data.every((v) => v === 0.5)).toBe(true);
  });

  test('configs: solver_type aliases, unimplemented families, bad values', () => {
    expect(new UniPCMultistepScheduler({ solver_type: 'midpoint' }).options.solverType).toBe('bh2');
    const invalid = (fragment: string) =>
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining(fragment) });
    expect(() => new UniPCMultistepScheduler({ solver_type: 'bh3' })).toThrow(invalid('"bh3"'));
    expect(() => new UniPCMultistepScheduler({ use_flow_sigmas: true })).toThrow(invalid('use_flow_sigmas'));
    expect(() => new UniPCMultistepScheduler({ prediction_type: 'flow_prediction' })).toThrow(invalid('does not implement'));
    expect(() => new UniPCMultistepScheduler({ disable_corrector: [0.5] })).toThrow(invalid('disable_corrector'));
    expect(() => new UniPCMultistepScheduler({ solver_order: 0 })).toThrow(invalid('solver_order'));
    expect(new UniPCMultistepScheduler({ thresholding: true, sample_max_value: 0.5, dynamic_thresholding_ratio: 0 }).options.sampleMaxValue).toBe(0.5);
  });

  test('a state from before setTimesteps → SCHEDULER_STATE', () => {
    const scheduler = new UniPCMultistepScheduler({});
    scheduler.setTimesteps(3);
    const state = scheduler.createState();
    scheduler.setTimesteps(3);
    const tensor = createTensor('float32', dims);
    expect(() => scheduler.step(tensor, scheduler.timesteps[0]!, tensor, state)).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE' }),
    );
  });
});
