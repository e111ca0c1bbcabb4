import { describe, expect, it } from 'vitest';
import { clamp } from './clamp.js';
import { createTensor } from './tensor.js';
import { thrown } from '../test-support/thrown.js';

describe('clamp', () => {
  it('limits values to [minimum, maximum] and keeps NaN', () => {
    const x = createTensor('float32', [5], Float32Array.of(-2, -1, 0.5, 3, Number.NaN));
    const result = clamp(x, -1, 1);
    expect(Array.from(result.data)).toEqual([-1, -1, 0.5, 1, Number.NaN]);
    expect(x.data[0]).toBe(-2);
  });

  it('supports one-sided bounds and in-place use', () => {
    const x = createTensor('float32', [3], Float32Array.of(-5, 0, 5));
    expect(clamp(x, 0, Infinity, x)).toBe(x);
    expect(Array.from(x.data)).toEqual([0, 0, 5]);
  });

  it('rejects inverted or NaN bounds, naming them', () => {
    const x = createTensor('float32', [1]);
    const error = thrown(() => clamp(x, 2, 1));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('[2, 1]');
    expect(thrown(() => clamp(x, Number.NaN, 1)).message).toContain('NaN');
  });
});
