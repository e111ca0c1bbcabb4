import { describe, expect, test } from 'vitest';
import { DDPMScheduler } from './ddpm-scheduler.js';
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep.js';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.js';
import { strengthTimesteps } from './strength.js';
import { fixture } from './test-support/ddpm-ddim-euler-fixture.js';

const KANDINSKY_CONFIG = {
  beta_schedule: 'squaredcos_cap_v2',
  clip_sample: true,
  steps_offset: 1,
};

describe('strengthTimesteps matches diffusers get_timesteps (reference fixture)', () => {
  for (const entry of fixture.strength) {
    test(`N = ${entry.steps}, strength ${entry.strength}`, () => {
      const scheduler = new DDPMScheduler(KANDINSKY_CONFIG);
      scheduler.setTimesteps(entry.steps);
      const result = strengthTimesteps(scheduler, entry.strength);
      expect(result.startIndex).toBe(entry.startIndex);
      expect(result.timesteps).toEqual(entry.timesteps);
      expect(result.startTimestep).toBe(entry.timesteps[0]);
    });
  }

  test('spec §4.4: N = 25, strength 0.3 → 7 steps starting at t = 241', () => {
    const scheduler = new DDPMScheduler(KANDINSKY_CONFIG);
    scheduler.setTimesteps(25);
    const { startIndex, timesteps, startTimestep } = strengthTimesteps(scheduler, 0.3);
    expect(timesteps).toHaveLength(7);
    expect(startTimestep).toBe(241);
    // The state starts where the remaining steps begin, and runs them to the end.
    const state = scheduler.createState(startIndex);
    expect(scheduler.timesteps[state.stepIndex]).toBe(241);
  });

  test('works for DPM-Solver and Euler schedules', () => {
    const dpm = new DPMSolverMultistepScheduler({ beta_schedule: 'linear', prediction_type: 'sample' });
    dpm.setTimesteps(5);
    expect(strengthTimesteps(dpm, 0.4)).toEqual({ startIndex: 3, timesteps: [400, 200], startTimestep: 400, steps: 2 });
    const euler = new EulerDiscreteScheduler({});
    euler.setTimesteps(10);
    const result = strengthTimesteps(euler, 0.5);
    expect(result.timesteps).toEqual(euler.timesteps.slice(5));
  });
});

describe('bad input', () => {
  const scheduler = new DDPMScheduler();
  scheduler.setTimesteps(10);
  for (const strength of [-0.1, 1.2, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`strength ${strength} → INVALID_STRENGTH`, () => {
      expect(() => strengthTimesteps(scheduler, strength)).toThrow(
        expect.objectContaining({ code: 'INVALID_STRENGTH', message: expect.stringContaining(String(strength)) }),
      );
    });
  }

  test('before setTimesteps → SCHEDULER_STATE', () => {
    expect(() => strengthTimesteps(new DDPMScheduler(), 0.5)).toThrow(expect.objectContaining({ code: 'SCHEDULER_STATE' }));
  });
});
