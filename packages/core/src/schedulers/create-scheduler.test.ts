import { describe, expect, test } from 'vitest';
import { createScheduler } from './create-scheduler.js';
import { DDIMScheduler } from './ddim-scheduler.js';
import { DDPMScheduler } from './ddpm-scheduler.js';
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep.js';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.js';

describe('createScheduler dispatches on _class_name', () => {
  test.each([
    ['DDPMScheduler', DDPMScheduler],
    ['DDIMScheduler', DDIMScheduler],
    ['EulerDiscreteScheduler', EulerDiscreteScheduler],
    ['DPMSolverMultistepScheduler', DPMSolverMultistepScheduler],
  ] as const)('%s', (name, type) => {
    const scheduler = createScheduler({ _class_name: name, _diffusers_version: '0.27.0' });
    expect(scheduler).toBeInstanceOf(type);
    expect(scheduler.name).toBe(name);
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
