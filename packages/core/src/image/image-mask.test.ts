import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { createImageMask } from './image-mask.js';

describe('createImageMask', () => {
  it('allocates an all-keep mask and wraps given data', () => {
    expect(createImageMask(3, 2).data).toEqual(new Float32Array(6));
    const data = Float32Array.from([0, 0.5, 1, 1]);
    expect(createImageMask(2, 2, data).data).toBe(data);
  });

  it('rejects a bad size and a wrong length, naming them', () => {
    const size = thrown(() => createImageMask(0, 2));
    expect(size.code).toBe('INVALID_IMAGE');
    expect(size.message).toContain('width 0');
    const length = thrown(() => createImageMask(2, 2, new Float32Array(5)));
    expect(length.code).toBe('INVALID_IMAGE');
    expect(length.message).toContain('5 values');
  });

  it('rejects values outside [0, 1] and NaN, naming value and pixel', () => {
    const high = thrown(() => createImageMask(2, 2, Float32Array.from([0, 0, 0, 1.5])));
    expect(high.code).toBe('INVALID_IMAGE');
    expect(high.message).toContain('1.5');
    expect(high.message).toContain('(1, 1)');
    const nan = thrown(() => createImageMask(1, 1, Float32Array.from([Number.NaN])));
    expect(nan.message).toContain('NaN');
  });

  it('rejects a non-Float32Array buffer', () => {
    const error = thrown(() => createImageMask(1, 1, new Uint8Array(1) as unknown as Float32Array));
    expect(error.code).toBe('INVALID_IMAGE');
    expect(error.message).toContain('Uint8Array');
  });
});
