import { describe, expect, it } from 'vitest';
import { isAllFinite, mean, standardDeviation } from './statistics.js';
import { createTensor } from './tensor.js';
import { thrown } from '../test-support/thrown.js';

describe('mean / standardDeviation', () => {
  const x = createTensor('float32', [4], Float32Array.of(1, 2, 3, 4));

  it('match the textbook values', () => {
    expect(mean(x)).toBe(2.5);
    // torch.tensor([1., 2., 3., 4.]).std() = sqrt(5/3)
    expect(standardDeviation(x)).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(standardDeviation(x, { unbiased: false })).toBeCloseTo(Math.sqrt(1.25), 12);
  });

  it('reject tensors that are too small, naming the shape', () => {
    const error = thrown(() => standardDeviation(createTensor('float32', [1])));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('[1]');
    expect(thrown(() => mean(createTensor('float32', [0]))).code).toBe('SHAPE_MISMATCH');
  });
});

describe('isAllFinite', () => {
  it('detects NaN and infinities in float32 and float16', () => {
    expect(isAllFinite(createTensor('float32', [2], Float32Array.of(1, -3e38)))).toBe(true);
    expect(isAllFinite(createTensor('float32', [2], Float32Array.of(1, Number.NaN)))).toBe(false);
    expect(isAllFinite(createTensor('float32', [1], Float32Array.of(-Infinity)))).toBe(false);
    expect(isAllFinite(createTensor('float16', [2], Uint16Array.of(0x3c00, 0x7bff)))).toBe(true);
    expect(isAllFinite(createTensor('float16', [1], Uint16Array.of(0xfc00)))).toBe(false);
    expect(isAllFinite(createTensor('int32', [1], Int32Array.of(7)))).toBe(true);
  });
});
