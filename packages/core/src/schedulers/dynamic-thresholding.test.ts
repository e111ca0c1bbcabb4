import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { assertPercentile, quantileLinear, thresholdPerSample, thresholdScale } from './dynamic-thresholding.js';
import { differingBits } from '../test-support/differing-bits.js';

// v_i = ((37·i mod 1000) − 500)/7, i < 999; expected values printed by torch 1.13
// (`torch.quantile(v.abs(), q)` on float32).
const values = () => Float32Array.from({ length: 999 }, (_, i) => (((i * 37) % 1000) - 500) / 7);

describe('quantileLinear', () => {
  it('equals the sort-based definition (spec §3.9) at every kind of rank', () => {
    const f32 = Math.fround;
    let state = 7;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const n of [1, 2, 5, 100, 4097]) {
      for (const q of [0, 0.001, 0.25, 0.5, 0.95, 0.99, 1]) {
        const values = Float32Array.from({ length: n }, () => Math.round(next() * 50) / 7);
        const sorted = values.slice().sort();
        const rank = f32(f32(q) * (n - 1));
        const below = Math.floor(rank);
        const weight = f32(rank - below);
        const low = sorted[below]!;
        const high = sorted[Math.min(below + 1, n - 1)]!;
        const expected = weight < 0.5 ? f32(low + f32(weight * f32(high - low))) : f32(high - f32(f32(high - low) * f32(1 - weight)));
        expect(quantileLinear(values, q), `n ${n}, q ${q}`).toBe(expected);
      }
    }
  });

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

describe('thresholdPerSample on latent-sized samples', () => {
  /** The definition: every |x| copied, quantileLinear, clamp and divide. */
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
    ['values packed in [1.5, 1.53)', () => (uniform() < 0.5 ? -1 : 1) * (1.5 + 0.03 * uniform())],
  ];

  it.each(generators)('gives the bits of the quantile over every |x|: %s', (_name, draw) => {
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
      thresholdPerSample(actual, batch, percentile, Number.POSITIVE_INFINITY);
      expect(differingBits(actual, reference(data, batch, percentile, Number.POSITIVE_INFINITY))).toBe(0);
      const capped = data.slice();
      thresholdPerSample(capped, batch, percentile, 1.25);
      expect(differingBits(capped, reference(data, batch, percentile, 1.25))).toBe(0);
    }
  });

  it('gives the same bits when a sample holds an infinity or NaN', () => {
    for (const special of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
      const data = Float32Array.from({ length: 4096 }, () => 3 * normal());
      data[100] = special;
      const actual = data.slice();
      thresholdPerSample(actual, 1, 0.99, Number.POSITIVE_INFINITY);
      expect(differingBits(actual, reference(data, 1, 0.99, Number.POSITIVE_INFINITY))).toBe(0);
    }
  });

  it('interpolates between 1 and the smallest magnitude above it', () => {
    // 4095 values of 1 and one of 2: rank q·4095 = 4094.5 interpolates 1 and 2.
    const data = new Float32Array(4096).fill(1);
    data[7] = -2;
    const actual = data.slice();
    thresholdPerSample(actual, 1, 4094.5 / 4095, Number.POSITIVE_INFINITY);
    expect(actual[0]).toBe(Math.fround(1 / 1.5)); // s = lerp(1, 2, 0.5)
    expect(actual[7]).toBe(-1);
    expect(differingBits(actual, reference(data, 1, 4094.5 / 4095, Number.POSITIVE_INFINITY))).toBe(0);
  });
});

describe('thresholdScale against the quantile over every |x|', () => {
  const f32 = Math.fround;
  /** s = f32(clamp(quantileLinear(|x|), 1, maxValue)) over every magnitude. */
  const plainScale = (data: Float32Array, q: number, maxValue: number) =>
    f32(Math.min(Math.max(quantileLinear(data.map(Math.abs), q), 1), maxValue));
  const bitsOf = (value: number) => new Uint32Array(new Float32Array([value]).buffer)[0]!;
  const sameBits = (a: number, b: number) => bitsOf(a) === bitsOf(b);

  it('decides s = 1 exactly at the boundary of how many |x| exceed 1 ', () => {
    let checked = 0;
    let floored = 0;
    for (const size of [7, 256, 2047, 2048, 4096, 65536]) {
      for (const q of [0.99, 0.95, 0.5, 1, 1 / (size - 1), 0.001]) {
        const rank = f32(f32(q) * (size - 1));
        const below = Math.floor(rank);
        const top = rank === below || below + 1 >= size ? below : below + 1;
        // How many elements exceed 1: around size − 1 − top, where the quantile crosses 1.
        const boundary = size - 1 - top;
        for (const above of [boundary - 2, boundary - 1, boundary, boundary + 1, boundary + 2]) {
          if (above < 0 || above > size) continue;
          // Values ≤ 1 include 1 itself and its float32 neighbours below; values > 1 start at
          // 1 + 2⁻²³.
          for (const [small, large] of [
            [1, 1 + 2 ** -23],
            [0.99999994, 1],
            [0.5, 1.5],
            [0.99999994, 1 + 2 ** -23],
          ] as const) {
            if (!(large > 1) && above > 0) continue;
            const data = Float32Array.from({ length: size }, (_, i) => {
              const magnitude = i < above ? large : i % 3 === 0 ? small : (small * (i % 97)) / 97;
              return i % 2 === 0 ? magnitude : -magnitude;
            });
            for (const maxValue of [Number.POSITIVE_INFINITY, 1.25, 0.75]) {
              const expected = plainScale(data, q, maxValue);
              const actual = thresholdScale(data.slice(), q, maxValue);
              expect(sameBits(actual, expected), `size ${size}, q ${q}, above ${above}, ${small}/${large}, max ${maxValue}`).toBe(true);
              if (expected === 1) floored++;
              checked++;
            }
          }
        }
      }
    }
    // Both outcomes occur: the boundary is really crossed.
    expect(floored).toBeGreaterThan(100);
    expect(checked - floored).toBeGreaterThan(100);
  });

  it('is exact when a high percentile needs only the few largest |x|', () => {
    // Ranks whose upper order statistics are among the top 1…40; values coarsely quantised so
    // that ties are common.
    let state = 12345;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let checked = 0;
    for (const size of [1, 2, 3, 16, 64, 255, 256, 257, 1000, 2047]) {
      for (let kept = 1; kept <= Math.min(40, size); kept++) {
        // q such that f32(q·(n − 1)) has integer part n − kept, with and without a fraction.
        for (const fraction of [0, 0.25, 0.75]) {
          const q = size === 1 ? 1 : (size - kept + fraction) / (size - 1);
          if (q > 1 || q <= 0) continue;
          for (const levels of [4, 1000]) {
            const data = Float32Array.from({ length: size }, () => (Math.round(next() * levels) / levels) * 6 - 3);
            const expected = plainScale(data, q, Number.POSITIVE_INFINITY);
            const actual = thresholdScale(data, q, Number.POSITIVE_INFINITY);
            expect(sameBits(actual, expected), `size ${size}, kept ${kept}, q ${q}, levels ${levels}`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it('reads a view into a larger buffer and leaves the data unchanged', () => {
    const data = Float32Array.from({ length: 3 * 4096 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
    const copy = data.slice();
    for (const [start, size] of [
      [0, 4096],
      [4096, 4096],
      [8192, 4096],
      [100, 1000],
    ] as const) {
      const slice = data.subarray(start, start + size);
      const expected = plainScale(slice, 0.95, Number.POSITIVE_INFINITY);
      expect(thresholdScale(slice, 0.95, Number.POSITIVE_INFINITY)).toBe(expected);
    }
    expect(Array.from(data)).toEqual(Array.from(copy));
  });

  it('matches the definition with infinities and NaN', () => {
    for (const size of [300, 4096]) {
      for (const special of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
        for (const scale of [0.5, 3]) {
          const data = Float32Array.from({ length: size }, (_, i) => scale * Math.sin(i * 1.3));
          data[size >> 1] = special;
          const expected = plainScale(data, 0.99, Number.POSITIVE_INFINITY);
          const actual = thresholdScale(data.slice(), 0.99, Number.POSITIVE_INFINITY);
          expect(sameBits(actual, expected), `size ${size}, ${special}, ×${scale}`).toBe(true);
        }
      }
    }
  });
});

describe('thresholdScale on large samples', () => {
  const f32 = Math.fround;
  const plainScale = (data: Float32Array, q: number) => f32(Math.max(quantileLinear(data.map(Math.abs), q), 1));
  let state = 2024;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

  it.each([16384, 65536, 100000])('gives the definition\'s bits for n = %i at the percentiles of spec §3.2 and around them', (n) => {
    const cases: [string, (i: number) => number][] = [
      ['normal ×3', () => 3 * normal()],
      ['heavy tail', () => normal() / (uniform() + 1e-3)],
      ['few distinct values', () => Math.round(normal() * 2)],
      ['ties at the cut', () => (uniform() < 0.05 ? 7 : normal())],
      ['a block of large values', (i) => (i % 1024 < 16 ? 100 + i / n : normal())],
      ['sorted ramp', (i) => (i / n) * 4 - 2],
      ['infinities', (i) => (i % 997 === 0 ? Number.POSITIVE_INFINITY : normal())],
      ['one NaN', (i) => (i === 12345 % n ? Number.NaN : normal())],
    ];
    for (const [name, draw] of cases) {
      const data = Float32Array.from({ length: n }, (_, i) => draw(i));
      for (const q of [0.9, 0.95, 0.99, 0.995, 0.999, 1]) {
        const expected = plainScale(data, q);
        const actual = thresholdScale(data.slice(), q, Number.POSITIVE_INFINITY);
        expect(Object.is(actual, expected), `${name}, q = ${q}: ${actual} vs ${expected}`).toBe(true);
      }
    }
  });
});
