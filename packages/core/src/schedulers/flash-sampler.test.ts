import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { createTensor } from '../tensor/tensor.js';
import { denoise } from '../pipelines/denoise.js';
import { FLASH_TIMESTEPS, FlashSampler } from './flash-sampler.js';
import {
  ReplayNoise,
  compare,
  decodeFloat32,
  fixture,
  inputsFor,
  strided,
  syntheticModel,
} from './test-support/dpm-kandinsky-fixture.js';

describe('FlashSampler vs the PyTorch reference', () => {
  for (const entry of fixture.flash) {
    it(`${entry.schedule} ${entry.prediction} ${entry.shape}`, async () => {
      const sampler = new FlashSampler({
        schedule: entry.schedule as 'linear' | 'squaredcos_cap_v2',
        prediction: entry.prediction as 'epsilon' | 'sample',
      });
      expect(sampler.timesteps).toEqual(entry.timesteps);
      const { dims, init, pattern, noise } = inputsFor(entry.shape);
      const initial = createTensor('float32', dims, init.slice());
      const seen: number[] = [];
      // The reference's loop as a scheduler: x_T from the initial x0 with the first draw, then
      // the shared denoising loop (each step re-noises with the next draw).
      const generator = new ReplayNoise(noise);
      const result = await denoise({
        scheduler: sampler,
        latent: sampler.addNoise(initial, generator.randn(dims), sampler.timesteps[0]!),
        generator,
        predict: async (noisy, t, k) => {
          seen.push(t);
          const { maxAbs, scale } = compare(strided(noisy.data, fixture.stride), decodeFloat32(entry.noisy[k]));
          expect(maxAbs / Math.max(scale, 1)).toBeLessThan(1e-6);
          return syntheticModel(entry.prediction as 'epsilon' | 'sample', k, noisy.data, pattern, dims);
        },
      });
      expect(seen).toEqual([979, 729, 479, 229]);
      const { maxAbs, scale } = compare(result.data, decodeFloat32(entry.final));
      expect(maxAbs / Math.max(scale, 1)).toBeLessThan(2e-6);
      expect(Array.from(initial.data)).toEqual(Array.from(init));
    });
  }
});

describe('FlashSampler: spec constants', () => {
  it('§3.5 cosine √ᾱ and √(1−ᾱ) at the Flash timesteps', () => {
    const sampler = new FlashSampler();
    const expected = [
      [0.031164, 0.999514],
      [0.408476, 0.912769],
      [0.724572, 0.689199],
      [0.93208, 0.362252],
    ];
    FLASH_TIMESTEPS.forEach((t, i) => {
      expect(sampler.sqrtAlphaCumprod(t)).toBeCloseTo(expected[i][0], 6);
      expect(sampler.sqrtOneMinusAlphaCumprod(t)).toBeCloseTo(expected[i][1], 6);
    });
  });

  it('§3.7 linear √ᾱ and √(1−ᾱ) of the SR loop', () => {
    const sampler = FlashSampler.superResolution();
    expect(sampler.prediction).toBe('sample');
    const expected = [
      [0.00776, 0.99997],
      [0.067212, 0.997739],
      [0.309506, 0.950897],
      [0.760162, 0.649733],
    ];
    // The spec prints 6 decimals truncated (√ᾱ_229 = 0.76016259…), hence 1e-6.
    FLASH_TIMESTEPS.forEach((t, i) => {
      expect(Math.abs(sampler.sqrtAlphaCumprod(t) - expected[i][0])).toBeLessThan(1e-6);
      expect(Math.abs(sampler.sqrtOneMinusAlphaCumprod(t) - expected[i][1])).toBeLessThan(1e-6);
    });
  });

  it('noiseToTimestep and x0FromEpsilon invert each other', () => {
    const sampler = new FlashSampler();
    const x0 = createTensor('float32', [3], Float32Array.from([0.5, -1, 2]));
    const noise = createTensor('float32', [3], Float32Array.from([1, 0.25, -0.75]));
    const noisy = sampler.noiseToTimestep(x0, noise, 229);
    const back = sampler.x0FromEpsilon(noisy, noise, 229);
    back.data.forEach((v, i) => expect(v).toBeCloseTo(x0.data[i], 5));
  });
});

describe('FlashSampler: bad input', () => {

  it('rejects bad timesteps, predictions and shapes', () => {
    const bad = thrown(() => new FlashSampler({ timesteps: [979, 1000] }));
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect(bad.message).toContain('1000');
    const prediction = thrown(() => new FlashSampler({ prediction: 'velocity' as 'sample' }));
    expect(prediction.message).toContain('"velocity"');
    const sampler = new FlashSampler();
    const t = thrown(() => sampler.sqrtAlphaCumprod(-1));
    expect(t.code).toBe('INVALID_ARGUMENT');
    expect(t.message).toContain('-1');
    const a = createTensor('float32', [2]);
    const b = createTensor('float32', [3]);
    expect(thrown(() => sampler.noiseToTimestep(a, b, 979)).code).toBe('SHAPE_MISMATCH');
    expect(thrown(() => sampler.x0FromEpsilon(a, b, 979)).code).toBe('SHAPE_MISMATCH');
  });

  it('takes exactly its own timesteps, in order, and needs noise between them', () => {
    const sampler = new FlashSampler();
    expect(() => sampler.setTimesteps(4)).not.toThrow();
    expect(thrown(() => sampler.setTimesteps(5)).code).toBe('INVALID_STEPS');
    const x = createTensor('float32', [1, 4, 2, 2], new Float32Array(16).fill(0.5));
    const state = sampler.createState();
    expect(thrown(() => sampler.step(x, 729, x, state)).code).toBe('SCHEDULER_STATE');
    const missing = thrown(() => sampler.step(x, 979, x, state));
    expect(missing.code).toBe('INVALID_ARGUMENT');
    expect(missing.message).toContain('t = 729');
  });

  it('returns x0 itself at the last step, drawing nothing', () => {
    const sampler = new FlashSampler({ timesteps: [229] });
    const x = createTensor('float32', [1, 1, 1, 2], Float32Array.from([0.5, -0.25]));
    const eps = createTensor('float32', [1, 1, 1, 2], Float32Array.from([0.1, 0.2]));
    const step = sampler.step(eps, 229, x, sampler.createState());
    expect(Array.from(step.prevSample.data)).toEqual(Array.from(sampler.x0FromEpsilon(x, eps, 229).data));
  });
});
