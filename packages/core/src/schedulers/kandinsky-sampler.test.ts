import { afterAll, describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { createTensor } from '../tensor/tensor.js';
import { quantileLinear } from './dynamic-thresholding.js';
import { Kandinsky3Sampler } from './kandinsky-sampler.js';
import {
  ReplayNoise,
  compare,
  decodeFloat32,
  fixture,
  inputsFor,
  strided,
  syntheticModel,
} from './test-support/dpm-kandinsky-fixture.js';
import { differingBits } from '../test-support/differing-bits.js';


const tensor = (values: number[], dims = [values.length]): Tensor<'float32'> =>
  createTensor('float32', dims, Float32Array.from(values));

describe('Kandinsky3Sampler vs the PyTorch reference (ai-forever/Kandinsky-3 p_sample)', () => {
  let worst = 0;
  for (const entry of fixture.kandinsky3) {
    it(`steps=${entry.steps} percentile=${entry.percentile} eta=${entry.eta} ${entry.shape}`, () => {
      const sampler = new Kandinsky3Sampler({ percentile: entry.percentile, eta: entry.eta });
      sampler.setTimesteps(entry.steps);
      expect(sampler.timesteps).toEqual(entry.timesteps);
      const { dims, init, pattern, noise } = inputsFor(entry.shape);
      const generator = new ReplayNoise(noise);
      const state = sampler.createState();
      let x = createTensor('float32', dims, init.slice());
      const check = (actual: Float32Array, expected: Float32Array) => {
        const { maxAbs, scale } = compare(actual, expected);
        worst = Math.max(worst, maxAbs);
        expect(maxAbs / Math.max(scale, 1)).toBeLessThan(4e-6);
      };
      const reference = decodeFloat32(entry.final);
      if (Number.isNaN(reference[0])) {
        // N = 1, eta = 1: the reference's float32 √(1 − ᾱ₀ − σ²) takes the root of a value that
        // is mathematically ≥ 0 but rounds below 0, and returns NaN. We take the root of 0 there,
        // so the single step returns √ᾱ₀·x0.
        const epsilon = syntheticModel('epsilon', 0, x.data, pattern, dims);
        const result = sampler.step(epsilon, 999, x, state, { generator });
        const sqrtAlpha0 = Math.fround(Math.sqrt(sampler.alphasCumprod[0]));
        result.prevSample.data.forEach((v, i) =>
          expect(v).toBeCloseTo(sqrtAlpha0 * (result.predOriginalSample?.data[i] ?? Number.NaN), 6),
        );
        return;
      }
      sampler.timesteps.forEach((t, k) => {
        const epsilon = syntheticModel('epsilon', k, x.data, pattern, dims);
        x = sampler.step(epsilon, t, x, state, { generator }).prevSample;
        check(strided(x.data, fixture.stride), decodeFloat32(entry.perStep[k]));
      });
      check(x.data, reference);
      // One draw per step, like the reference's randn_like in every p_sample.
      expect(generator.draws).toBe(sampler.timesteps.length);
    });
  }
  // A report, not a test: each step above already asserts its own bound.
  afterAll(() => {
    console.info(`Kandinsky3Sampler max|Δ| vs PyTorch over all steps: ${worst.toExponential(2)}`);
  });
});

describe('Kandinsky3Sampler: spec §3.2 facts', () => {
  it('builds the N = 50 and N = 25 grids', () => {
    const sampler = new Kandinsky3Sampler();
    sampler.setTimesteps(50);
    expect(sampler.timesteps.length).toBe(50);
    expect(sampler.timesteps.slice(0, 3)).toEqual([999, 979, 959]);
    expect(sampler.timesteps.slice(-2)).toEqual([39, 19]);
    expect(sampler.previousTimestep(49)).toBe(0);
    sampler.setTimesteps(25);
    expect(sampler.timesteps).toEqual(Array.from({ length: 25 }, (_, k) => 999 - 40 * k));
    // Python's range(999, 0, -1000 // 7) steps by 143 (floor of −1000/7).
    sampler.setTimesteps(7);
    expect(sampler.timesteps).toEqual([999, 856, 713, 570, 427, 284, 141]);
  });

  it('ends N = 50 at 0.976384·x0 + 0.023616·x_19', () => {
    const sampler = new Kandinsky3Sampler({ percentile: null });
    sampler.setTimesteps(50);
    const sqrtAlpha = Math.sqrt(sampler.alphasCumprod[19]);
    const sqrtOneMinusAlpha = Math.sqrt(1 - sampler.alphasCumprod[19]);
    const state = { stepIndex: 49 };
    // x_19 = 0 and ε̂ = −√ᾱ/√(1−ᾱ) give x0 = 1; x_19 = 1 and ε̂ = 1/√(1−ᾱ) give x0 = 0.
    const x0Step = sampler.step(tensor([-sqrtAlpha / sqrtOneMinusAlpha]), 19, tensor([0]), state);
    // x0 is 1 up to float32 rounding of ε̂; divide it out.
    const coefficient = x0Step.prevSample.data[0] / (x0Step.predOriginalSample?.data[0] ?? Number.NaN);
    // √(1 − ᾱ₀ − σ²) cancels to ≈ 9.7e-7, so float32 (the reference code, which we follow)
    // gives 0.9763805 / 0.0236195 where float64 math gives the spec's 0.976384 / 0.023616.
    expect(Math.abs(coefficient - 0.9763805)).toBeLessThan(1e-6);
    expect(Math.abs(coefficient - 0.976384)).toBeLessThan(5e-6);
    const xPart = sampler.step(tensor([1 / sqrtOneMinusAlpha]), 19, tensor([1]), { stepIndex: 49 }).prevSample;
    expect(Math.abs(xPart.data[0] - 0.0236195)).toBeLessThan(1e-6);
    expect(Math.abs(xPart.data[0] - 0.023616)).toBeLessThan(5e-6);
  });

  it('thresholds each sample with its own quantile', () => {
    const sampler = new Kandinsky3Sampler({ percentile: 0.5 });
    sampler.setTimesteps(1);
    // ε̂ = 0 ⇒ x0 = x/√ᾱ_999; two samples of very different scale.
    const sqrtAlpha = Math.fround(Math.sqrt(sampler.alphasCumprod[999]));
    const x = tensor([1, 2, 3, 4, 0.1, 0.2, -0.3, 0.4].map((v, i) => v * (i < 4 ? 1 : 1e-6) * sqrtAlpha), [2, 4]);
    const { predOriginalSample } = sampler.step(tensor(new Array(8).fill(0), [2, 4]), 999, x, sampler.createState());
    const x0 = Array.from(predOriginalSample?.data ?? []);
    // Sample 0: |x0| = 1..4, median 2.5 ⇒ clip to ±2.5 and divide. Sample 1: quantile < 1 ⇒ s = 1.
    expect(x0.slice(0, 4).map((v) => +v.toFixed(5))).toEqual([0.4, 0.8, 1, 1]);
    expect(x0[4]).toBeCloseTo(1e-7, 9);
  });
});

describe('Kandinsky3Sampler: addNoise', () => {
  it('is q_sample with the cosine table (spec §3.5 constants at t = 979)', () => {
    const sampler = new Kandinsky3Sampler();
    const noisy = sampler.addNoise(tensor([1, 0]), tensor([0, 1]), 979);
    expect(Math.abs(noisy.data[0] - 0.031164)).toBeLessThan(1e-6);
    expect(Math.abs(noisy.data[1] - 0.999514)).toBeLessThan(1e-6);
  });
});

describe('Kandinsky3Sampler: bad input', () => {
  it('rejects percentiles outside (0, 1] and bad eta', () => {
    for (const percentile of [0, -0.5, 1.5, 99, Number.NaN]) {
      const error = thrown(() => new Kandinsky3Sampler({ percentile }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(String(percentile));
    }
    const eta = thrown(() => new Kandinsky3Sampler({ eta: 2 }));
    expect(eta.code).toBe('INVALID_ARGUMENT');
    expect(eta.message).toContain('2');
  });

  it('rejects bad step counts', () => {
    const sampler = new Kandinsky3Sampler();
    for (const steps of [0, 3.5, -2, 1001]) {
      const error = thrown(() => sampler.setTimesteps(steps));
      expect(error.code).toBe('INVALID_STEPS');
      expect(error.message).toContain(String(steps));
    }
  });

  it('rejects step() before setTimesteps, past the end, wrong timestep, missing noise', () => {
    const sampler = new Kandinsky3Sampler();
    const early = thrown(() => sampler.step(tensor([0]), 999, tensor([0]), sampler.createState()));
    expect(early.code).toBe('SCHEDULER_STATE');
    sampler.setTimesteps(2);
    const wrong = thrown(() => sampler.step(tensor([0]), 998, tensor([0]), sampler.createState()));
    expect(wrong.code).toBe('SCHEDULER_STATE');
    expect(wrong.message).toContain('998');
    const noNoise = thrown(() => sampler.step(tensor([0]), 999, tensor([0]), sampler.createState()));
    expect(noNoise.code).toBe('INVALID_ARGUMENT');
    const state = sampler.createState();
    for (const t of sampler.timesteps) sampler.step(tensor([0]), t, tensor([0]), state, { noise: tensor([0]) });
    const past = thrown(() => sampler.step(tensor([0]), 0, tensor([0]), state));
    expect(past.code).toBe('SCHEDULER_STATE');
    expect(past.message).toContain('2');
  });

  it('rejects shape mismatches', () => {
    const sampler = new Kandinsky3Sampler();
    sampler.setTimesteps(2);
    const error = thrown(() => sampler.step(tensor([0, 0]), 999, tensor([0]), sampler.createState()));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('[2]');
    const noise = thrown(() =>
      sampler.step(tensor([0]), 999, tensor([0]), sampler.createState(), { noise: tensor([0, 0]) }),
    );
    expect(noise.code).toBe('SHAPE_MISMATCH');
  });

  it('gives the bits of the step by its plain definition (x0; quickselect quantile and division; update) at latent and tiny sizes', () => {
    const f32 = Math.fround;
    /** The step as first written (x0; thresholdPerSample; update), for one timestep. */
    const scales: number[] = [];
    function threePass(sampler: Kandinsky3Sampler, index: number, x: Float32Array, eps: Float32Array, z: Float32Array, batch: number) {
      const timestep = sampler.timesteps[index]!;
      const previous = sampler.previousTimestep(index);
      const alpha = sampler.alphasCumprod[timestep]!;
      const alphaPrevious = sampler.alphasCumprod[previous]!;
      const sqrtAlpha = f32(Math.sqrt(alpha));
      const sqrtOneMinusAlpha = f32(Math.sqrt(f32(1 - alpha)));
      const sigma = f32(Math.sqrt(f32(f32(f32(1 * f32(1 - f32(alpha / alphaPrevious))) * f32(1 - alphaPrevious)) / f32(1 - alpha))));
      const meanX0 = f32(Math.sqrt(alphaPrevious));
      const meanEpsilon = f32(Math.sqrt(Math.max(0, f32(f32(1 - alphaPrevious) - f32(sigma * sigma)))));
      const predicted = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) predicted[i] = (x[i]! - sqrtOneMinusAlpha * eps[i]!) / sqrtAlpha;
      // Thresholding by its plain definition: quantile of a copy of |x0| (quickselect), then a
      // clamp and a float64 division per element.
      const size = x.length / batch;
      for (let b = 0; b < batch; b++) {
        const slice = predicted.subarray(b * size, (b + 1) * size);
        const s =
          sampler.percentile === null ? 1 : f32(Math.max(quantileLinear(slice.map(Math.abs), sampler.percentile), 1));
        for (let i = 0; i < size; i++) slice[i] = (slice[i]! > s ? s : slice[i]! < -s ? -s : slice[i]!) / s;
        scales.push(s);
      }
      const y = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const recomputed = f32((x[i]! - sqrtAlpha * predicted[i]!) / sqrtOneMinusAlpha);
        const mean = meanX0 * predicted[i]! + meanEpsilon * recomputed;
        y[i] = previous !== 0 ? mean + sigma * z[i]! : mean;
      }
      return { y, predicted };
    }
    const differing = (a: Float32Array, b: Float32Array) => {
      const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
      const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
      let count = 0;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) count++;
      return count;
    };
    for (const percentile of [0.99, 0.95, null]) {
      const sampler = new Kandinsky3Sampler({ percentile });
      sampler.setTimesteps(8);
      for (const [dims, special, amplitude] of [
        [[1, 4, 64, 64], undefined, 1.8],
        [[1, 4, 64, 64], undefined, 0.4],
        [[2, 4, 32, 32], undefined, 1.8],
        [[1, 4, 32, 32], Number.NaN, 1.8],
        [[1, 4, 8, 8], undefined, 1.8],
        [[2, 4, 8, 8], undefined, 0.4],
        [[1, 4, 8, 8], Number.POSITIVE_INFINITY, 0.4],
      ] as const) {
        const size = dims.reduce((a, b) => a * b, 1);
        const wave = (scale: number, phase: number) => Float32Array.from({ length: size }, (_, i) => scale * Math.sin(i * 0.731 + phase) + 0.3 * Math.cos(i * 0.013));
        for (let index = 0; index < sampler.timesteps.length; index++) {
          const x = wave(amplitude, index);
          const eps = wave(1.1, 3 * index);
          if (special !== undefined) eps[17] = special;
          const z = wave(1, 5 * index);
          const expected = threePass(sampler, index, x, eps, z, dims[0]);
          const tensor = (data: Float32Array) => createTensor('float32', [...dims], data);
          const kept = sampler.step(tensor(eps), sampler.timesteps[index]!, tensor(x), { stepIndex: index }, { noise: tensor(z) });
          const declined = sampler.step(tensor(eps), sampler.timesteps[index]!, tensor(x), { stepIndex: index }, {
            noise: tensor(z),
            returnPredOriginalSample: false,
          });
          expect(differingBits(kept.prevSample.data, expected.y)).toBe(0);
          expect(differingBits(kept.predOriginalSample!.data, expected.predicted)).toBe(0);
          expect(differingBits(declined.prevSample.data, expected.y)).toBe(0);
        }
      }
    }
    // Both the floor (s = 1: clamp only) and real thresholds were exercised.
    expect(scales.filter((s) => s === 1).length).toBeGreaterThan(20);
    expect(scales.filter((s) => s > 1).length).toBeGreaterThan(20);
  });
});
