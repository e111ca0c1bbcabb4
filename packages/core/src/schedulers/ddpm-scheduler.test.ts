import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { DDPMScheduler } from './ddpm-scheduler.js';
import {
  SCALED_TOLERANCE,
  decodeFloat32,
  fixture,
  initialSample,
  noiseDraw,
  replay,
  runLabel,
  runs,
} from './test-support/ddpm-ddim-euler-fixture.js';

/** The Kandinsky 3 diffusers scheduler config (spec §3.3). */
const KANDINSKY_CONFIG = {
  _class_name: 'DDPMScheduler',
  _diffusers_version: '0.25.0.dev0',
  num_train_timesteps: 1000,
  beta_schedule: 'squaredcos_cap_v2',
  beta_start: 0.00085,
  beta_end: 0.012,
  clip_sample: true,
  set_alpha_to_one: false,
  steps_offset: 1,
  prediction_type: 'epsilon',
  thresholding: false,
};

let worstAbsolute = 0;
afterAll(() => console.info(`DDPMScheduler: max abs error vs PyTorch reference ${worstAbsolute.toExponential(2)}`));

describe('DDPMScheduler matches the PyTorch reference after every step', () => {
  for (const run of runs.filter((r) => r.scheduler === 'DDPMScheduler')) {
    test(runLabel(run), () => {
      const scheduler = new DDPMScheduler(run.config);
      if (run.customTimesteps) scheduler.setCustomTimesteps(run.customTimesteps);
      else scheduler.setTimesteps(run.steps!);
      expect(scheduler.timesteps).toEqual(run.timesteps);
      const { errors, noise } = replay(scheduler, run);
      // Noise is drawn once per step with t > 0, with the sample's dims — where diffusers draws it.
      expect(noise.count).toBe(run.noiseDraws);
      for (const dims of noise.shapes) expect(dims).toEqual(run.shape);
      for (const error of errors) {
        expect(error.scaled).toBeLessThanOrEqual(SCALED_TOLERANCE);
        worstAbsolute = Math.max(worstAbsolute, error.absolute);
      }
    });
  }
});

describe('spec §3.3', () => {
  const scheduler = new DDPMScheduler(KANDINSKY_CONFIG);
  scheduler.setTimesteps(25);

  test('the Kandinsky config ignores set_alpha_to_one and fills diffusers defaults', () => {
    expect(scheduler.ignoredConfigKeys).toEqual(['set_alpha_to_one']);
    expect(scheduler.config).toMatchObject({ variance_type: 'fixed_small', timestep_spacing: 'leading', clip_sample_range: 1 });
    expect(scheduler.initNoiseSigma).toBe(1);
  });

  test('N = 25 timesteps are [961, 921, …, 41, 1]', () => {
    expect(scheduler.timesteps).toEqual(Array.from({ length: 25 }, (_, k) => 961 - 40 * k));
  });

  test('coefficient table c_x0, c_xt, std (|Δ| ≤ 5e-6)', () => {
    const table: [number, number, number, number, number][] = [
      [961, 921, 0.09269607, 0.48260944, 0.86787098],
      [921, 881, 0.10398145, 0.6505123, 0.74136176],
      [881, 841, 0.11026004, 0.7300281, 0.65227556],
      [41, 1, 0.98523342, 0.01476652, 0.00928184],
      [1, -1, 1.0, 0.0, 0.0],
    ];
    for (const [t, previous, originalFactor, currentFactor, std] of table) {
      const scalars = scheduler.stepScalars(t, previous);
      expect(Math.abs(scalars.originalFactor - originalFactor)).toBeLessThanOrEqual(5e-6);
      expect(Math.abs(scalars.currentFactor - currentFactor)).toBeLessThanOrEqual(5e-6);
      const expectedStd = previous < 0 ? Math.sqrt(1e-20) : std;
      expect(Math.abs(Math.sqrt(scalars.variance) - expectedStd)).toBeLessThanOrEqual(5e-6);
    }
  });

  test('the last step (t = 1 → −1) returns exactly the clipped x0 and draws noise (t > 0)', () => {
    const dims = [1, 4, 4, 4];
    const state = scheduler.createState(24);
    const x = createTensor('float32', dims, initialSample(dims));
    const eps = createTensor('float32', dims, noiseDraw(3, dims));
    const noise = createTensor('float32', dims, noiseDraw(4, dims));
    const { prevSample, predOriginalSample } = scheduler.step(eps, 1, x, state, { noise, returnPredOriginalSample: true });
    const x0 = predOriginalSample!.data;
    for (let i = 0; i < x0.length; i++) {
      expect(Math.abs(prevSample.data[i] - x0[i])).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(x0[i])).toBeLessThanOrEqual(1);
    }
  });

  test('add_noise at t = 241 matches torch (img2img, §4.4)', () => {
    const { timestep, shape, result } = fixture.addNoise;
    const noisy = scheduler.addNoise(
      createTensor('float32', shape, initialSample(shape)),
      createTensor('float32', shape, noiseDraw(0, shape)),
      timestep,
    );
    const expected = decodeFloat32(result);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(noisy.data[i] - expected[i]));
    expect(worst).toBeLessThanOrEqual(2.5e-7);
  });

  test('returnPredOriginalSample does not change the step, and out may alias the sample', () => {
    const dims = [2, 4, 4, 4];
    const base = new Float32Array(128).map((_, i) => Math.sin(i) * 2);
    const eps = createTensor('float32', dims, new Float32Array(128).map((_, i) => Math.cos(i)));
    const noise = createTensor('float32', dims, new Float32Array(128).map((_, i) => Math.sin(3 * i)));
    const plain = scheduler.step(eps, 961, createTensor('float32', dims, base.slice()), scheduler.createState(), { noise });
    const aliased = createTensor('float32', dims, base.slice());
    const withOriginal = scheduler.step(eps, 961, aliased, scheduler.createState(), {
      noise,
      out: aliased,
      returnPredOriginalSample: true,
    });
    expect(withOriginal.prevSample).toBe(aliased);
    expect(Array.from(withOriginal.prevSample.data)).toEqual(Array.from(plain.prevSample.data));
    expect(withOriginal.predOriginalSample?.dims).toEqual(dims);
  });
});

describe('bad input', () => {
  const dims = [1, 4, 4, 4];
  const tensor = (d = dims) => createTensor('float32', d);

  test('unknown prediction_type names the value', () => {
    expect(() => new DDPMScheduler({ prediction_type: 'noise' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"noise"') }),
    );
  });

  test('unknown beta_schedule / variance_type name the value', () => {
    expect(() => new DDPMScheduler({ beta_schedule: 'cosine' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"cosine"') }),
    );
    expect(() => new DDPMScheduler({ variance_type: 'fixed' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"fixed"') }),
    );
  });

  test('negative num_train_timesteps names the value', () => {
    expect(() => new DDPMScheduler({ num_train_timesteps: -1000 })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('-1000') }),
    );
  });

  for (const steps of [0, 1.5, 1001]) {
    test(`setTimesteps(${steps}) → INVALID_STEPS`, () => {
      expect(() => new DDPMScheduler().setTimesteps(steps)).toThrow(
        expect.objectContaining({ code: 'INVALID_STEPS', message: expect.stringContaining(String(steps)) }),
      );
    });
  }

  test('custom timesteps must be strictly descending integers in range', () => {
    for (const timesteps of [[500, 600], [1000, 1], [3.5], []]) {
      expect(() => new DDPMScheduler().setCustomTimesteps(timesteps)).toThrow(
        expect.objectContaining({ code: 'INVALID_STEPS' }),
      );
    }
  });

  test('step / createState before setTimesteps → SCHEDULER_STATE', () => {
    const scheduler = new DDPMScheduler();
    expect(() => scheduler.createState()).toThrow(expect.objectContaining({ code: 'SCHEDULER_STATE' }));
    expect(() => scheduler.step(tensor(), 999, tensor(), { stepIndex: 0, scheduleId: 0 })).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE', message: expect.stringContaining('setTimesteps') }),
    );
  });

  test('step past the end, a wrong timestep, and a stale state → SCHEDULER_STATE', () => {
    const scheduler = new DDPMScheduler(KANDINSKY_CONFIG);
    scheduler.setTimesteps(1);
    const state = scheduler.createState();
    scheduler.step(tensor(), 1, tensor(), state, { noise: tensor() });
    expect(() => scheduler.step(tensor(), 1, tensor(), state, { noise: tensor() })).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE', message: expect.stringContaining('past the end') }),
    );
    const fresh = scheduler.createState();
    expect(() => scheduler.step(tensor(), 500, tensor(), fresh)).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE', message: expect.stringContaining('500') }),
    );
    scheduler.setTimesteps(2);
    expect(() => scheduler.step(tensor(), 501, tensor(), fresh)).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE', message: expect.stringContaining('setTimesteps') }),
    );
  });

  test('mismatched model output / sample / out / noise shapes → SHAPE_MISMATCH', () => {
    const scheduler = new DDPMScheduler(KANDINSKY_CONFIG);
    scheduler.setTimesteps(25);
    const state = scheduler.createState();
    expect(() => scheduler.step(tensor([1, 4, 4, 5]), 961, tensor(), state, { noise: tensor() })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('[1,4,4,5]') }),
    );
    expect(() => scheduler.step(tensor(), 961, tensor(), state, { noise: tensor([1, 4, 4]) })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => scheduler.step(tensor(), 961, tensor(), state, { noise: tensor(), out: tensor([4, 4, 4]) })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(state.stepIndex).toBe(0);
  });

  test('learned variance needs twice the channels', () => {
    const scheduler = new DDPMScheduler({ variance_type: 'learned_range' });
    scheduler.setTimesteps(10);
    expect(() => scheduler.step(tensor(), 900, tensor(), scheduler.createState(), { noise: tensor() })).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('[1,8,4,4]') }),
    );
  });

  test('a stochastic step without generator or noise → INVALID_ARGUMENT', () => {
    const scheduler = new DDPMScheduler();
    scheduler.setTimesteps(10);
    expect(() => scheduler.step(tensor(), 900, tensor(), scheduler.createState())).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('900') }),
    );
  });

  test('addNoise outside [0, T) → INVALID_ARGUMENT', () => {
    expect(() => new DDPMScheduler().addNoise(tensor(), tensor(), 1000)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('1000') }),
    );
  });
});
