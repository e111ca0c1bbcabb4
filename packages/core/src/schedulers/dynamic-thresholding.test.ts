import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { assertPercentile, quantileLinear, thresholdPerSample } from './dynamic-thresholding.js';

// v_i = ((37·i mod 1000) − 500)/7, i < 999; expected values printed by torch 1.13
// (`torch.quantile(v.abs(), q)` on float32).
const values = () => Float32Array.from({ length: 999 }, (_, i) => (((i * 37) % 1000) - 500) / 7);

describe('quantileLinear', () => {
  it('matches torch.quantile (linear interpolation, float32)', () => {
    const expected: [number, number][] = [
      [0.99, 70.71428680419922],
      [0.95, 67.85713958740234],
      [0.5, 35.71428680419922],
      [0.995, 71.00142669677734],
      [1, 71.42857360839844],
      [0.001, 0.14257143437862396],
    ];
    for (const [q, value] of expected) {
      const work = values().map(Math.abs);
      expect(quantileLinear(work, q)).toBe(value);
    }
  });
});

describe('thresholdPerSample', () => {
  it('clamps to ±s and divides, with s capped by maxValue (torch values)', () => {
    const data = values();
    thresholdPerSample(data, 1, 0.9, 50);
    expect(data[0]).toBe(-1);
    expect(data[1]).toBe(-1);
    expect(data[5]).toBe(-0.8999999761581421);
  });

  it('uses each sample of the batch separately', () => {
    const data = Float32Array.from([4, 2, -8, 1, 0.5, -0.25, 0.125, 0.5]);
    thresholdPerSample(data, 2, 1, Number.POSITIVE_INFINITY);
    expect(Array.from(data)).toEqual([0.5, 0.25, -1, 0.125, 0.5, -0.25, 0.125, 0.5]);
  });
});

describe('assertPercentile', () => {
  it('names the bad value', () => {
    for (const value of [0, 1.01, -1, '0.9']) {
      try {
        assertPercentile('percentile', value);
        throw new Error('no throw');
      } catch (error) {
        expect(KandinskyError.isInstance(error)).toBe(true);
        expect((error as KandinskyError).code).toBe('INVALID_ARGUMENT');
        expect((error as KandinskyError).message).toContain(typeof value === 'string' ? '"0.9"' : String(value));
      }
    }
  });
});
