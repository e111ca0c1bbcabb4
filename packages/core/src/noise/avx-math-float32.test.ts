import { describe, expect, it } from 'vitest';
import { cephesLogFloat32, cephesSinCosFloat32, fusedMultiplyAdd32 } from './test-support/avx-math-float32.js';

const ulp32 = (x: number) => 2 ** (Math.floor(Math.log2(Math.abs(x))) - 23);

describe('fusedMultiplyAdd32', () => {
  it('rounds once: (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46 exactly', () => {
    const a = Math.fround(1 + 2 ** -23);
    const b = Math.fround(1 - 2 ** -23);
    expect(fusedMultiplyAdd32(a, b, -1)).toBe(-(2 ** -46));
    expect(Math.fround(Math.fround(a * b) - 1)).toBe(0); // unfused loses it
  });

  it('avoids double rounding when the float64 sum lands on a float32 tie', () => {
    // a·b = 2^-24 (1 - 2^-36), so a·b + c = 1 + 2^-23 + 2^-24 - 2^-60: just below the float32
    // tie, hence 1 + 2^-23. Via float64 it first rounds onto the tie, then to even (1 + 2^-22).
    const a = 1 + 2 ** -18;
    const b = 2 ** -24 * (1 - 2 ** -18);
    const c = 1 + 2 ** -23;
    expect([Math.fround(a), Math.fround(b), Math.fround(c)]).toEqual([a, b, c]);
    expect(fusedMultiplyAdd32(a, b, c)).toBe(1 + 2 ** -23);
    expect(Math.fround(a * b + c)).toBe(1 + 2 ** -22);
    // The mirrored case rounding away from zero.
    expect(fusedMultiplyAdd32(-a, b, -c)).toBe(-(1 + 2 ** -23));
  });
});

describe('Cephes float32 log and sincos', () => {
  it('stay within 2 float32 ulps of the exact functions on (0, 1] and [0, 2π)', () => {
    const sinCos = new Float64Array(2);
    for (let i = 1; i <= 4096; i++) {
      const u = Math.fround(i / 4096);
      if (u !== 1) expect(Math.abs(cephesLogFloat32(u) - Math.log(u))).toBeLessThanOrEqual(2 * ulp32(Math.log(u)));
      else expect(cephesLogFloat32(u)).toBe(0);
      const angle = Math.fround((2 * Math.PI * (i - 1)) / 4096);
      cephesSinCosFloat32(angle, sinCos);
      expect(Math.abs(sinCos[0]! - Math.sin(angle))).toBeLessThan(2 ** -22);
      expect(Math.abs(sinCos[1]! - Math.cos(angle))).toBeLessThan(2 ** -22);
    }
  });
});
