import { describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { createScheduler } from './create-scheduler.js';
import { SCALED_TOLERANCE, replay, runs } from './test-support/ddpm-ddim-euler-fixture.js';
import {
  compare,
  decodeFloat32,
  fixture as dpmFixture,
  inputsFor,
  strided,
  syntheticModel,
} from './test-support/dpm-kandinsky-fixture.js';

// What createScheduler builds is judged by what it computes: for each class, a config from the
// diffusers reference fixtures must give that run's timesteps and every step's sample, which
// only the right class (with the config applied) does.
describe('createScheduler dispatches on _class_name', () => {
  test.each(['DDPMScheduler', 'DDIMScheduler', 'EulerDiscreteScheduler'])(
    '%s reproduces a diffusers reference run',
    (name) => {
      const run = runs.find((r) => r.scheduler === name && r.steps !== null && r.config._class_name === name)!;
      const scheduler = createScheduler({ ...run.config, _diffusers_version: '0.27.0' });
      expect(scheduler.name).toBe(name);
      scheduler.setTimesteps(run.steps!);
      expect(scheduler.timesteps).toEqual(run.timesteps);
      const options = run.eta === undefined ? {} : { eta: run.eta, useClippedModelOutput: run.useClippedModelOutput };
      const { errors } = replay(scheduler, run, options);
      expect(errors).toHaveLength(run.samples.length);
      for (const error of errors) expect(error.scaled).toBeLessThanOrEqual(SCALED_TOLERANCE);
    },
  );

  test('DPMSolverMultistepScheduler reproduces a diffusers reference run', () => {
    const entry = dpmFixture.dpm.find((e) => e.steps > 1)!;
    const scheduler = createScheduler({ _class_name: 'DPMSolverMultistepScheduler', ...entry.config });
    expect(scheduler.name).toBe('DPMSolverMultistepScheduler');
    scheduler.setTimesteps(entry.steps);
    expect(scheduler.timesteps).toEqual(entry.timesteps);
    const { dims, init, pattern } = inputsFor(entry.shape);
    const kind = (entry.config as { prediction_type?: 'epsilon' | 'sample' | 'v_prediction' }).prediction_type ?? 'epsilon';
    const state = scheduler.createState();
    let x = createTensor('float32', dims, init.slice());
    scheduler.timesteps.forEach((t, k) => {
      x = scheduler.step(syntheticModel(kind, k, x.data, pattern, dims), t, x, state).prevSample;
      const { maxAbs, scale } = compare(strided(x.data, dpmFixture.stride), decodeFloat32(entry.perStep[k]!));
      expect(maxAbs / Math.max(scale, 1e-30)).toBeLessThan(4e-6);
    });
  });

  test('the Kandinsky 3 config (spec §3.3) gives the N = 25 leading grid', () => {
    const scheduler = createScheduler({
      _class_name: 'DDPMScheduler',
      beta_schedule: 'squaredcos_cap_v2',
      clip_sample: true,
      set_alpha_to_one: false,
      steps_offset: 1,
    });
    scheduler.setTimesteps(25);
    expect(scheduler.timesteps[0]).toBe(961);
    expect(scheduler.timesteps.at(-1)).toBe(1);
  });

  test('unknown or missing class → INVALID_SCHEDULER_CONFIG naming it', () => {
    expect(() => createScheduler({ _class_name: 'PNDMScheduler' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"PNDMScheduler"') }),
    );
    expect(() => createScheduler({})).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('_class_name') }),
    );
    expect(() => createScheduler([] as unknown as Record<string, unknown>)).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG' }),
    );
  });
});
