import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import fixture from './fixtures/float16.json';
import {
  float16BitsToFloat32,
  float16ToFloat32Array,
  float32ToFloat16Array,
  float32ToFloat16Bits,
  toFloat16,
  toFloat32,
} from './float16.js';
import { createTensor } from './tensor.js';

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const isHalfNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;

describe('float32 → float16 against torch .half()', () => {
  const inputBits = new Uint32Array(decode(fixture.float32Bits).buffer);
  const expected = new Uint16Array(decode(fixture.float16Bits).buffer);
  const inputs = new Float32Array(inputBits.buffer);

  it('matches every non-NaN value of the fixture bit for bit (array and scalar)', () => {
    expect(inputs.length).toBe(fixture.count);
    const actual = float32ToFloat16Array(inputs);
    let compared = 0;
    for (let i = 0; i < inputs.length; i++) {
      if (Number.isNaN(inputs[i])) continue;
      compared++;
      if (actual[i] !== expected[i]) {
        throw new Error(`0x${inputBits[i]!.toString(16)} → 0x${actual[i]!.toString(16)}, torch 0x${expected[i]!.toString(16)}`);
      }
      expect(float32ToFloat16Bits(inputs[i]!)).toBe(expected[i]);
    }
    expect(compared).toBeGreaterThan(17000);
  });

  it('keeps NaN a quiet NaN with its sign', () => {
    const actual = float32ToFloat16Array(inputs);
    for (let i = 0; i < inputs.length; i++) {
      if (!Number.isNaN(inputs[i])) continue;
      expect(isHalfNaN(actual[i]!)).toBe(true);
      expect(actual[i]! & 0x200).toBe(0x200);
      expect(actual[i]! & 0x8000).toBe(expected[i]! & 0x8000);
    }
  });

  it('handles the documented edge cases', () => {
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-1e9)).toBe(0xfc00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie → even (0)
    expect(float32ToFloat16Bits(Math.fround(2 ** -25 * (1 + 2 ** -23)))).toBe(0x0001);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // tie → even (2)
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float32ToFloat16Bits(Number.NaN)).toBe(0x7e00);
  });
});

describe('float16 → float32', () => {
  it('round-trips all 65536 half patterns (signalling NaNs come back quieted)', () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const back = float32ToFloat16Array(float16ToFloat32Array(all));
    let exact = 0;
    for (let h = 0; h < 65536; h++) {
      if (back[h] === h) exact++;
      else expect([isHalfNaN(h), back[h]]).toEqual([true, h | 0x200]);
    }
    // 2 × 511 signalling NaN patterns gain the quiet bit; every other pattern is exact.
    expect(exact).toBe(65536 - 2 * 511);
  });

  it('gives the exact values of known halves', () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16BitsToFloat32(0x0400)).toBe(2 ** -14);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(float16BitsToFloat32(0x7e00)).toBeNaN();
    expect(float16BitsToFloat32(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it('preserves NaN payload bits exactly', () => {
    const out = float16ToFloat32Array(Uint16Array.of(0x7c01, 0xfd55));
    expect(Array.from(new Uint32Array(out.buffer))).toEqual([0x7f802000, 0xffaaa000]);
  });

  it('rejects a bad scalar bit pattern, naming it', () => {
    const error = catchError(() => float16BitsToFloat32(70000));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('70000');
  });
});

describe('tensor conversion', () => {
  it('toFloat16 / toFloat32 keep dims and convert values', () => {
    const tensor = createTensor('float32', [1, 2, 2], Float32Array.of(1, -2, 0.1, 70000));
    const half = toFloat16(tensor);
    expect(half.dtype).toBe('float16');
    expect(half.dims).toEqual([1, 2, 2]);
    expect(Array.from(half.data)).toEqual([0x3c00, 0xc000, 0x2e66, 0x7c00]);
    const back = toFloat32(half);
    expect(Array.from(back.data)).toEqual([1, -2, Math.fround(0.0999755859375), Infinity]);
    expect(toFloat32(tensor)).toBe(tensor);
  });

  it('writes into a provided output buffer', () => {
    const out = new Uint16Array(2);
    expect(float32ToFloat16Array(Float32Array.of(0.5, 2), out)).toBe(out);
    expect(Array.from(out)).toEqual([0x3800, 0x4000]);
  });

  it('rejects an output of the wrong length with SHAPE_MISMATCH', () => {
    const error = catchError(() => float32ToFloat16Array(new Float32Array(3), new Uint16Array(2)));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('2');
    const error2 = catchError(() => float16ToFloat32Array(new Uint16Array(3), new Float32Array(4)));
    expect(error2.code).toBe('SHAPE_MISMATCH');
  });

  it('rejects a non-float32 tensor in toFloat16 and a non-float tensor in toFloat32', () => {
    const ints = createTensor('int32', [2]);
    const error = catchError(() => toFloat16(ints));
    expect(error.code).toBe('DTYPE_MISMATCH');
    expect(error.message).toContain('"int32"');
    expect(catchError(() => toFloat32(ints)).code).toBe('DTYPE_MISMATCH');
  });
});

function catchError(action: () => unknown): KandinskyError {
  try {
    action();
  } catch (error) {
    if (KandinskyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a KandinskyError');
}
