import { describe, expect, it } from 'vitest';
import { inlineNoiseSources, PRECOMPUTED_NOISE_MAX_ELEMENTS } from './noise-source-factory.js';
import { PrecomputedNoiseSource } from './precomputed-noise-source.js';
import { PrefetchingNoiseSource } from './prefetching-noise-source.js';
import { TorchGenerator } from './torch-generator.js';

const values = (tensor: { data: Float32Array }) => Array.from(tensor.data);
const dims = [1, 4, 8, 8];

describe('PrecomputedNoiseSource', () => {
  it('gives a denoising loop exactly the plain generator\'s stream (initial draw, then prefetched steps)', () => {
    const draws = 51;
    const plain = new TorchGenerator(42);
    const source = new PrecomputedNoiseSource(42, dims, draws);
    const initial = source.randn(dims);
    expect(values(initial)).toEqual(values(plain.randn(dims)));
    const drawn: { data: Float32Array }[] = [];
    const expected: number[][] = [];
    for (let step = 1; step < draws; step++) {
      source.prefetch(dims);
      const noise = source.randn(dims);
      expected.push(values(plain.randn(dims)));
      expect(values(noise), `draw ${step}`).toEqual(expected[step - 1]);
      // Prefetched draws are parts of one buffer drawn at once; the initial draw is the caller's own.
      if (drawn.length > 0) expect(noise.data.buffer).toBe(drawn[0]!.data.buffer);
      expect(noise.data.buffer).not.toBe(initial.data.buffer);
      drawn.push(noise);
    }
    // Nothing overwrote an earlier draw.
    expect(drawn.map(values)).toEqual(expected);
    // More draws than announced, then other dims and a rand: the stream goes on exactly.
    source.prefetch(dims);
    expect(values(source.randn(dims))).toEqual(values(plain.randn(dims)));
    expect(values(source.randn([5]))).toEqual(values(plain.randn([5])));
    expect(values(source.rand([20]))).toEqual(values(plain.rand([20])));
    source.release();
  });

  it('draws the same stream for sample sizes that are and are not whole 16-value runs', () => {
    for (const sampleDims of [[1, 4, 2, 2], [1, 17], [3], [1, 4, 8, 8], [2, 24]]) {
      const plain = new TorchGenerator(5);
      const source = new PrecomputedNoiseSource(5, sampleDims, 6);
      for (let i = 0; i < 6; i++) {
        if (i > 0) source.prefetch(sampleDims);
        expect(values(source.randn(sampleDims)), `${sampleDims}, draw ${i}`).toEqual(values(plain.randn(sampleDims)));
      }
    }
  });

  it('continues exactly from any position when a request is not the expected one', () => {
    for (const [taken, request] of [
      [0, 'rand'],
      [1, 'randn-other'],
      [3, 'rand'],
      [7, 'randn-other'],
      [9, 'randn-other'],
    ] as const) {
      const plain = new TorchGenerator(9);
      const source = new PrecomputedNoiseSource(9, dims, 8);
      for (let i = 0; i < taken; i++) {
        if (i > 0) source.prefetch(dims);
        expect(values(source.randn(dims))).toEqual(values(plain.randn(dims)));
      }
      source.prefetch(dims); // a prefetch takes nothing
      const label = `after ${taken} draws, ${request}`;
      if (request === 'rand') expect(values(source.rand([33])), label).toEqual(values(plain.rand([33])));
      else expect(values(source.randn([2, 9])), label).toEqual(values(plain.randn([2, 9])));
      for (let i = 0; i < 3; i++) {
        source.prefetch(dims);
        expect(values(source.randn(dims)), `${label}, then draw ${i}`).toEqual(values(plain.randn(dims)));
      }
    }
  });

  it('rejects a draw count that is not a positive integer, and dims without elements, naming them', () => {
    for (const draws of [0, -1, 2.5, Number.NaN]) {
      expect(() => new PrecomputedNoiseSource(1, dims, draws)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(String(draws)) }));
    }
    expect(() => new PrecomputedNoiseSource(1, [1, 0, 8], 3)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('[1,0,8]') }));
  });

  it('throws on any draw after release instead of drawing a stream that has moved on', () => {
    const source = new PrecomputedNoiseSource(3, dims, 4);
    source.randn(dims);
    source.release();
    for (const use of [() => source.randn(dims), () => source.prefetch(dims), () => source.rand([2])]) {
      expect(use).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('rebuilds the scalar path\'s cached normal when it continues from a small odd sample', () => {
    // randn([5]) takes the scalar path, which caches the sine half of its last pair.
    const plain = new TorchGenerator(31);
    const source = new PrecomputedNoiseSource(31, [5], 6);
    for (let i = 0; i < 3; i++) {
      if (i > 0) source.prefetch([5]);
      expect(values(source.randn([5]))).toEqual(values(plain.randn([5])));
    }
    expect(values(source.randn([3]))).toEqual(values(plain.randn([3])));
    expect(values(source.randn([5]))).toEqual(values(plain.randn([5])));
  });
});

describe('inlineNoiseSources picks the source by the trajectory\'s size', () => {
  it('draws small announced trajectories at once, and large or unannounced ones step by step', () => {
    expect(inlineNoiseSources.create(1, dims, { draws: 51 })).toBeInstanceOf(PrecomputedNoiseSource);
    expect(inlineNoiseSources.create(1, dims)).toBeInstanceOf(PrefetchingNoiseSource);
    const perDraw = 4 * 16 * 16;
    const fits = PRECOMPUTED_NOISE_MAX_ELEMENTS / perDraw;
    expect(inlineNoiseSources.create(1, [1, 4, 16, 16], { draws: fits })).toBeInstanceOf(PrecomputedNoiseSource);
    expect(inlineNoiseSources.create(1, [1, 4, 16, 16], { draws: fits + 1 })).toBeInstanceOf(PrefetchingNoiseSource);
    expect(inlineNoiseSources.create(1, [1, 4, 128, 128], { draws: 51 })).toBeInstanceOf(PrefetchingNoiseSource);
  });
});
