import ancestralFixture from './fixtures/ancestral-heun-lcm-unipc.json';
import { afterAll, describe, expect, test } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { DDIMScheduler } from './ddim-scheduler.js';
import { SCALED_TOLERANCE, initialSample, noiseDraw, replay, runLabel, runs } from './test-support/ddpm-ddim-euler-fixture.js';

let worstAbsolute = 0;
afterAll(() => console.info(`DDIMScheduler: max abs error vs PyTorch reference ${worstAbsolute.toExponential(2)}`));

describe('DDIMScheduler matches the PyTorch reference after every step', () => {
  for (const run of runs.filter((r) => r.scheduler === 'DDIMScheduler')) {
    test(runLabel(run), () => {
      const scheduler = new DDIMScheduler(run.config);
      scheduler.setTimesteps(run.steps!);
      expect(scheduler.timesteps).toEqual(run.timesteps);
      const { errors, noise } = replay(scheduler, run, {
        eta: run.eta,
        useClippedModelOutput: run.useClippedModelOutput,
      });
      // With η > 0 diffusers draws noise on every step, the last one included.
      expect(noise.count).toBe(run.noiseDraws);
      for (const error of errors) {
        expect(error.scaled).toBeLessThanOrEqual(SCALED_TOLERANCE);
        worstAbsolute = Math.max(worstAbsolute, error.absolute);
      }
    });
  }
});

describe('DDIM semantics (spec §3.4)', () => {
  const dims = [1, 4, 4, 4];
  const x = createTensor('float32', dims, initialSample(dims));
  const eps = createTensor('float32', dims, noiseDraw(1, dims));

  test('η given to the constructor is the default of every step', () => {
    const configured = new DDIMScheduler({ clip_sample: false }, { eta: 0.5 });
    const plain = new DDIMScheduler({ clip_sample: false });
    configured.setTimesteps(10);
    plain.setTimesteps(10);
    const noise = createTensor('float32', dims, noiseDraw(2, dims));
    const a = configured.step(eps, 900, x, configured.createState(), { noise }).prevSample;
    const b = plain.step(eps, 900, x, plain.createState(), { noise, eta: 0.5 }).prevSample;
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  test('set_alpha_to_one: the last step of a deterministic run lands on x0 exactly when true', () => {
    const scheduler = new DDIMScheduler({ set_alpha_to_one: true, clip_sample: false });
    scheduler.setTimesteps(10);
    const { prevSample, predOriginalSample } = scheduler.step(eps, 0, x, scheduler.createState(9), {
      returnPredOriginalSample: true,
    });
    for (let i = 0; i < prevSample.data.length; i++) {
      expect(prevSample.data[i]).toBeCloseTo(predOriginalSample!.data[i], 6);
    }
  });
});

describe('bad input', () => {
  const dims = [1, 4, 4, 4];
  const tensor = (d = dims) => createTensor('float32', d);

  for (const eta of [-0.1, 1.5, Number.NaN]) {
    test(`eta ${eta} → INVALID_ARGUMENT`, () => {
      expect(() => new DDIMScheduler({}, { eta })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(String(eta)) }),
      );
      const scheduler = new DDIMScheduler();
      scheduler.setTimesteps(10);
      expect(() => scheduler.step(tensor(), 900, tensor(), scheduler.createState(), { eta })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    });
  }

  test('set_alpha_to_one must be a boolean', () => {
    expect(() => new DDIMScheduler({ set_alpha_to_one: 'yes' })).toThrow(
      expect.objectContaining({ code: 'INVALID_SCHEDULER_CONFIG', message: expect.stringContaining('"yes"') }),
    );
  });

  test('step before setTimesteps and past the end → SCHEDULER_STATE', () => {
    const scheduler = new DDIMScheduler();
    expect(() => scheduler.step(tensor(), 999, tensor(), { stepIndex: 0, scheduleId: 0 })).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE' }),
    );
    scheduler.setTimesteps(1);
    const state = scheduler.createState();
    scheduler.step(tensor(), 0, tensor(), state);
    expect(() => scheduler.step(tensor(), 0, tensor(), state)).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_STATE', message: expect.stringContaining('past the end') }),
    );
  });

  test('mismatched shapes → SHAPE_MISMATCH', () => {
    const scheduler = new DDIMScheduler();
    scheduler.setTimesteps(10);
    expect(() => scheduler.step(tensor([1, 3, 4, 4]), 900, tensor(), scheduler.createState())).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('[1,3,4,4]') }),
    );
  });

  test('η > 0 without generator or noise → INVALID_ARGUMENT', () => {
    const scheduler = new DDIMScheduler({}, { eta: 1 });
    scheduler.setTimesteps(10);
    expect(() => scheduler.step(tensor(), 900, tensor(), scheduler.createState())).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('DDIMScheduler.variance (diffusers\' _get_variance)', () => {
  const variances = (ancestralFixture as unknown as {
    ddimVariances: { config: Record<string, unknown>; timestep: number; previous: number; variance: number }[];
  }).ddimVariances;
  test.each(variances.map((entry) => [entry.timestep, entry.previous, entry.config.beta_schedule, entry] as const))(
    't = %i → %i (%s) matches the PyTorch reference',
    (_t, _previous, _schedule, entry) => {
      const scheduler = new DDIMScheduler(entry.config);
      expect(scheduler.variance(entry.timestep, entry.previous)).toBe(Math.fround(entry.variance));
    },
  );

  test('defaults to the schedule\'s previous timestep, as step() uses', () => {
    const scheduler = new DDIMScheduler({ beta_schedule: 'squaredcos_cap_v2', set_alpha_to_one: false, steps_offset: 1 });
    expect(() => scheduler.variance(961)).toThrow(expect.objectContaining({ code: 'SCHEDULER_STATE' }));
    scheduler.setTimesteps(25);
    expect(scheduler.variance(961)).toBe(scheduler.variance(961, 921));
    expect(() => scheduler.variance(1000, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
