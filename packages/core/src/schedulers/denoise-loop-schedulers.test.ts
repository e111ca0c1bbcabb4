/**
 * The schedulers added for diffusers users run unchanged through core's shared loop
 * (`denoise()` → `guidedStep()`), which writes each step into one of two alternating buffers and
 * starts image → image part-way: the final sample equals the PyTorch reference trajectory.
 */
import { describe, expect, test } from 'vitest';
import { denoise } from '../pipelines/denoise.js';
import { TorchGenerator } from '../noise/torch-generator.js';
import { createTensor } from '../tensor/tensor.js';
import { createScheduler } from './create-scheduler.js';
import { strengthTimesteps } from './strength.js';
import { initialSample, modelOutput } from './test-support/ddpm-ddim-euler-fixture.js';
import { decodeFloat32, optionRuns, scaledError } from './test-support/ancestral-heun-lcm-unipc-fixture.js';

const f32 = Math.fround;
const CLASSES = ['EulerAncestralDiscreteScheduler', 'HeunDiscreteScheduler', 'LCMScheduler', 'UniPCMultistepScheduler'];

describe('denoise() runs the new schedulers like the PyTorch reference loop', () => {
  for (const name of CLASSES) {
    const runs = optionRuns.filter((r) => r.scheduler === name);
    for (const run of [runs.find((r) => r.startIndex === 0 && r.steps > 1)!, runs.find((r) => r.startIndex > 0)!]) {
      test(`${name}, ${run.steps} steps from index ${run.startIndex}`, async () => {
        const scheduler = createScheduler(run.config);
        scheduler.setTimesteps(run.steps);
        const dims = run.shape;
        let latent = createTensor('float32', dims, initialSample(dims));
        if (run.startIndex > 0) {
          const noise = createTensor('float32', dims, initialSample(dims).map((v) => v * 0.5));
          latent = scheduler.addNoise(latent, noise, scheduler.timesteps[run.startIndex]!);
        } else if (scheduler.initNoiseSigma !== 1) {
          latent = createTensor('float32', dims, latent.data.map((v) => f32(v * scheduler.initNoiseSigma)));
        }
        const calls: number[] = [];
        const result = await denoise({
          scheduler,
          latent,
          startIndex: run.startIndex,
          generator: new TorchGenerator(run.seed),
          predict: async (input, timestep) => {
            calls.push(timestep);
            return modelOutput(input.data, dims, timestep);
          },
          onStep: () => undefined,
        });
        expect(calls).toEqual(run.timesteps.slice(run.startIndex));
        expect(scaledError(result.data, decodeFloat32(run.samples.at(-1)!))).toBeLessThanOrEqual(2e-6);
      });
    }
  }

  test('image → image strength picks a pair boundary for Heun (order 2)', () => {
    const scheduler = createScheduler({ _class_name: 'HeunDiscreteScheduler' });
    scheduler.setTimesteps(10);
    const { startIndex, timesteps, steps } = strengthTimesteps(scheduler as typeof scheduler & { order: number }, 0.3);
    // diffusers: init = 3 steps, t_start = 7, timesteps[7·2:] = 5 model calls.
    expect(startIndex).toBe(14);
    expect(timesteps).toHaveLength(5);
    expect(steps).toBe(3);
  });
});
