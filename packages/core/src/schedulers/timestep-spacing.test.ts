import { describe, expect, test } from 'vitest';
import { decodeUint32, fixture } from './test-support/ddpm-ddim-euler-fixture.js';
import { numpyLinspace, roundHalfEven, spacedTimesteps, type TimestepSpacing } from './timestep-spacing.js';

/** FNV-1a over the little-endian bytes of 32-bit words, as the reference computes it. */
function fnv1a(words: Iterable<number>): number {
  let hash = 0x811c9dc5;
  for (const word of words) {
    for (let shift = 0; shift < 32; shift += 8) {
      hash ^= (word >>> shift) & 0xff;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash >>> 0;
}

const floatBits = (values: number[]) => new Uint32Array(Float32Array.from(values).buffer);
const intWords = (values: number[]) => new Uint32Array(Int32Array.from(values).buffer);

describe('spacedTimesteps matches numpy/diffusers for every N in 1…1000', () => {
  for (const key of Object.keys(fixture.spacings.int)) {
    const [spacing, offset] = key.split('+') as [TimestepSpacing, string];
    const stepsOffset = Number(offset);
    const invalid = new Set((fixture.spacings.invalidInt as Record<string, number[]>)[key]);
    for (const values of ['integer', 'float32'] as const) {
      test(`${spacing}, steps_offset ${stepsOffset}, ${values}`, () => {
        const expected = decodeUint32((fixture.spacings[values === 'integer' ? 'int' : 'float'] as Record<string, string>)[key]);
        const wrong: number[] = [];
        for (let steps = 1; steps <= 1000; steps++) {
          if (invalid.has(steps)) {
            expect(() => spacedTimesteps({ steps, spacing, stepsOffset, values })).toThrow(
              expect.objectContaining({ code: 'INVALID_STEPS' }),
            );
            continue;
          }
          const timesteps = spacedTimesteps({ steps, spacing, stepsOffset, values });
          const hash = fnv1a(values === 'integer' ? intWords(timesteps) : floatBits(timesteps));
          if (timesteps.length !== steps || hash !== expected[steps - 1]) wrong.push(steps);
        }
        expect(wrong).toEqual([]);
      });
    }
  }

  test('numpy overshoots for some trailing N; the reference recorded where (we keep N entries)', () => {
    const extra = (fixture.spacings.numpyExtraEntry as Record<string, number[]>)['trailing+0'];
    expect(extra).toContain(61);
    expect(spacedTimesteps({ steps: 61, spacing: 'trailing' })).toHaveLength(61);
    expect(Math.min(...spacedTimesteps({ steps: 61, spacing: 'trailing' }))).toBeGreaterThanOrEqual(0);
  });
});

describe('spec values', () => {
  test('§3.3: leading + offset 1, N = 25 → 961, 921, …, 41, 1; N = 50 → 981, …, 21, 1', () => {
    expect(spacedTimesteps({ steps: 25, stepsOffset: 1 })).toEqual(Array.from({ length: 25 }, (_, k) => 961 - 40 * k));
    expect(spacedTimesteps({ steps: 50, stepsOffset: 1 })).toEqual(Array.from({ length: 50 }, (_, k) => 981 - 20 * k));
  });

  test('linspace rounds half to even like numpy (N = 3: 499.5 → 500)', () => {
    expect(spacedTimesteps({ steps: 3, spacing: 'linspace' })).toEqual([999, 500, 0]);
    expect(roundHalfEven(498.5)).toBe(498);
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(-0.5) === 0).toBe(true);
    expect(roundHalfEven(-1.5)).toBe(-2);
    expect(numpyLinspace(0, 1, 1)).toEqual([0]);
  });
});

describe('bad step counts throw INVALID_STEPS naming the value', () => {
  for (const steps of [0, 1.5, 1001, -3, Number.NaN]) {
    test(String(steps), () => {
      expect(() => spacedTimesteps({ steps })).toThrow(
        expect.objectContaining({ code: 'INVALID_STEPS', message: expect.stringContaining(String(steps)) }),
      );
    });
  }

  test('steps_offset pushing a timestep past T − 1', () => {
    expect(() => spacedTimesteps({ steps: 1000, stepsOffset: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_STEPS', message: expect.stringContaining('1000') }),
    );
  });
});
