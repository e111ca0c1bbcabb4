import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from '../schedulers/ddim-scheduler.js';
import { DDPMScheduler } from '../schedulers/ddpm-scheduler.js';
import { EulerDiscreteScheduler } from '../schedulers/euler-discrete-scheduler.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { decodeFloat32, initialSample, modelOutput, ReplayNoise, runs, SCALED_TOLERANCE, stepErrors } from '../schedulers/test-support/ddpm-ddim-euler-fixture.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { denoise } from './denoise.js';

const f32 = Math.fround;

function schedulerOf(name: string, config: Record<string, unknown>): Scheduler {
  if (name === 'DDPMScheduler') return new DDPMScheduler(config);
  if (name === 'DDIMScheduler') return new DDIMScheduler(config);
  return new EulerDiscreteScheduler(config);
}

describe('denoise', () => {
  // The whole loop against the PyTorch reference runs (tools/reference/schedulers_ddpm_ddim_euler.py):
  // scaled model input, one step per timestep, the generator's draws in order.
  const plain = runs.filter((run) => typeof run.steps === 'number' && !run.churn && run.eta === undefined && !run.config.variance_type?.toString().startsWith('learned'));
  it.each(plain.map((run, i) => [i, run.scheduler, run] as const))('runs reference %i (%s) to its last sample', async (_i, name, run) => {
    const scheduler = schedulerOf(name, run.config);
    scheduler.setTimesteps(run.steps!);
    let x = initialSample(run.shape);
    if (scheduler.initNoiseSigma !== 1) x = x.map((v) => f32(v * scheduler.initNoiseSigma));
    const seen: number[] = [];
    const noise = new ReplayNoise();
    const result = await denoise({
      scheduler,
      latent: createTensor('float32', run.shape, x),
      generator: noise,
      predict: async (input, timestep) => {
        seen.push(timestep);
        return modelOutput(input.data, run.shape, timestep);
      },
    });
    // Karras and exponential timesteps may differ from numpy's by ≤ 1e-4 (see euler-discrete-scheduler.test.ts).
    seen.forEach((t, i) => expect(Math.abs(t - run.timesteps[i]!)).toBeLessThanOrEqual(run.config.use_karras_sigmas || run.config.use_exponential_sigmas ? 1e-4 : 0));
    expect(noise.count).toBe(run.noiseDraws);
    const last = decodeFloat32(run.samples[run.samples.length - 1]!);
    // Zero terminal SNR loses precision in PyTorch's first step (see euler-discrete-scheduler.test.ts).
    const tolerance = run.config.rescale_betas_zero_snr ? 10 * SCALED_TOLERANCE : SCALED_TOLERANCE;
    expect(stepErrors(result.data, last, x).scaled).toBeLessThanOrEqual(tolerance);
  });

  it('steps on (w + 1)·cond − w·uncond of the model batch, in either order (spec §3.8)', async () => {
    const dims = [1, 2, 4, 4];
    const size = 32;
    const cond = (input: Tensor<'float32'>) => Float32Array.from(input.data, (v, i) => f32(0.5 * v + 0.01 * i));
    const uncond = (input: Tensor<'float32'>) => Float32Array.from(input.data, (v, i) => f32(0.25 * v - 0.02 * i));
    const make = () => {
      const scheduler = new DDIMScheduler({});
      scheduler.setTimesteps(5);
      return scheduler;
    };
    // By hand: the guided prediction formed with the formula, one scheduler step at a time.
    const scheduler = make();
    const state = scheduler.createState();
    let expected = createTensor('float32', dims, Float32Array.from({ length: size }, (_, i) => Math.sin(i)));
    const start = expected;
    for (const t of scheduler.timesteps) {
      const c = cond(expected);
      const u = uncond(expected);
      const guided = createTensor('float32', dims, Float32Array.from(c, (v, i) => f32(4 * v - 3 * u[i]!)));
      expected = scheduler.step(guided, t, expected, state).prevSample;
    }
    for (const order of ['cond-first', 'uncond-first'] as const) {
      const result = await denoise({
        scheduler: make(),
        latent: start,
        guidance: { guidanceScale: 3, order },
        predict: async (input) => {
          const [first, second] = order === 'cond-first' ? [cond(input), uncond(input)] : [uncond(input), cond(input)];
          const batch = new Float32Array(2 * size);
          batch.set(first);
          batch.set(second, size);
          return createTensor('float32', [2, 2, 4, 4], batch);
        },
      });
      expect(Array.from(result.data)).toEqual(Array.from(expected.data));
    }
  });

  it('starts part-way at startIndex, reports every step and stops when aborted', async () => {
    const scheduler = new DDIMScheduler({});
    scheduler.setTimesteps(10);
    const latent = createTensor('float32', [1, 1, 2, 2], Float32Array.from([0.5, -0.5, 0.25, 1]));
    const steps: [number, number, number][] = [];
    await denoise({
      scheduler,
      latent,
      startIndex: 7,
      predict: async (input) => input,
      onStep: ({ index, total, timestep }) => void steps.push([index, total, timestep]),
    });
    expect(steps).toEqual(scheduler.timesteps.slice(7).map((t, i) => [i, 3, t]));
    const controller = new AbortController();
    let calls = 0;
    const aborted = denoise({
      scheduler,
      latent,
      signal: controller.signal,
      predict: async (input) => {
        calls++;
        if (calls === 2) controller.abort();
        return input;
      },
    });
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toBe(2);
    expect(Array.from(latent.data)).toEqual([0.5, -0.5, 0.25, 1]);
  });
});
