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

describe('thresholdPerSample on latent-sized samples (bucketed quantile)', () => {
  /** The plain definition: |x| copied, quantileLinear (quickselect), clamp and divide. */
  function reference(data: Float32Array, batch: number, percentile: number, maxValue: number): Float32Array {
    const out = data.slice();
    const size = out.length / batch;
    for (let b = 0; b < batch; b++) {
      const slice = out.subarray(b * size, (b + 1) * size);
      const s = Math.fround(Math.min(Math.max(quantileLinear(slice.map(Math.abs), percentile), 1), maxValue));
      for (let i = 0; i < size; i++) slice[i] = (slice[i]! > s ? s : slice[i]! < -s ? -s : slice[i]!) / s;
    }
    return out;
  }

  /** How many float32 bit patterns differ (a count, so failures print small). */
  const differing = (a: Float32Array, b: Float32Array) => {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
    let count = a.length === b.length ? 0 : Math.max(a.length, b.length);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) count++;
    return count;
  };

  let state = 12345;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const generators: [string, () => number][] = [
    ['normal ×2', () => 2 * normal()],
    ['normal ×0.3 (s floors at 1)', () => 0.3 * normal()],
    ['heavy tail', () => normal() / (uniform() + 1e-3)],
    ['few distinct values', () => Math.round(normal() * 3) / 2],
    ['signed zeros and tiny values', () => (uniform() < 0.5 ? (uniform() < 0.5 ? -0 : 0) : normal() * 1e-30)],
    ['one bucket (values in [1.5, 1.53))', () => (uniform() < 0.5 ? -1 : 1) * (1.5 + 0.03 * uniform())],
  ];

  it.each(generators)('gives the bits of the plain quickselect path: %s', (_name, draw) => {
    for (const [size, batch, percentile] of [
      [65536, 1, 0.99],
      [4096, 2, 0.995],
      [2048, 3, 0.95],
      [3001, 1, 0.5],
      [2048, 1, 1],
      [10000, 1, 0.0001],
    ] as const) {
      const data = Float32Array.from({ length: size * batch }, draw);
      const actual = data.slice();
      thresholdPerSample(actual, batch, percentile, Number.POSITIVE_INFINITY, new Float32Array(size));
      expect(differing(actual, reference(data, batch, percentile, Number.POSITIVE_INFINITY))).toBe(0);
      const capped = data.slice();
      thresholdPerSample(capped, batch, percentile, 1.25);
      expect(differing(capped, reference(data, batch, percentile, 1.25))).toBe(0);
    }
  });

  it('falls back to the plain path when a sample holds an infinity or NaN', () => {
    for (const special of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const data = Float32Array.from({ length: 4096 }, () => 3 * normal());
      data[100] = special;
      const actual = data.slice();
      thresholdPerSample(actual, 1, 0.99, Number.POSITIVE_INFINITY);
      expect(differing(actual, reference(data, 1, 0.99, Number.POSITIVE_INFINITY))).toBe(0);
    }
  });

  it('takes the next order statistic from the next bucket when the rank ends its bucket', () => {
    // 4095 values of 1 (one bucket) and one of 2: rank q·4095 = 4094.5 interpolates 1 and 2.
    const data = new Float32Array(4096).fill(1);
    data[7] = -2;
    const actual = data.slice();
    thresholdPerSample(actual, 1, 4094.5 / 4095, Number.POSITIVE_INFINITY);
    expect(actual[0]).toBe(Math.fround(1 / 1.5)); // s = lerp(1, 2, 0.5)
    expect(actual[7]).toBe(-1);
    expect(differing(actual, reference(data, 1, 4094.5 / 4095, Number.POSITIVE_INFINITY))).toBe(0);
  });
});
