import { describe, expect, test } from 'vitest';
import { createScheduler } from './create-scheduler.js';
import { SCHEDULER_NAMES, resolveSchedulerChoice, swapSchedulerClass } from './scheduler-choice.js';

// The Kandinsky 3 checkpoints' scheduler_config.json (spec §3.3), as the tiny model ships it.
const K3 = {
  _class_name: 'DDPMScheduler',
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

describe('scheduler names', () => {
  test('every alias and class name builds a scheduler from the Kandinsky 3 config', () => {
    for (const name of SCHEDULER_NAMES) {
      const choice = resolveSchedulerChoice(name);
      if (choice.kind === 'original') {
        expect(name).toBe('kandinsky');
        continue;
      }
      const scheduler = createScheduler(swapSchedulerClass(K3, choice));
      expect(scheduler.name).toBe(choice.className);
      scheduler.setTimesteps(10);
      expect(scheduler.timesteps.length).toBeGreaterThan(0);
    }
  });

  test('from_config semantics: keys carried over, class swapped, overrides applied', () => {
    const karras = resolveSchedulerChoice('dpm++2m-karras');
    expect(swapSchedulerClass(K3, karras as Extract<typeof karras, { kind: 'scheduler' }>)).toMatchObject({
      _class_name: 'DPMSolverMultistepScheduler',
      beta_schedule: 'squaredcos_cap_v2',
      use_karras_sigmas: true,
      algorithm_type: 'dpmsolver++',
    });
    const heun = createScheduler(swapSchedulerClass(K3, resolveSchedulerChoice('heun') as never));
    // HeunDiscreteScheduler reads clip_sample (true here) and ignores DDPM-only keys.
    expect(heun.config).toMatchObject({ clip_sample: true, beta_schedule: 'squaredcos_cap_v2' });
    expect((heun as unknown as { ignoredConfigKeys: string[] }).ignoredConfigKeys).toEqual(['set_alpha_to_one', 'thresholding']);
  });

  test('an unknown name → INVALID_ARGUMENT listing the names', () => {
    expect(() => resolveSchedulerChoice('euler_a')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('"euler_a"'), hint: expect.stringContaining('euler-a') }),
    );
    expect(() => resolveSchedulerChoice('toString')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
