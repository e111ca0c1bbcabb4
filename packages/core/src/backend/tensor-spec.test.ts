import { describe, expect, it } from 'vitest';
import { formatShape, formatTensorSpec, isDynamicDimension } from './tensor-spec.js';

describe('tensor specs', () => {
  it('treats strings and negative numbers as dynamic dimensions', () => {
    expect(isDynamicDimension('batch')).toBe(true);
    expect(isDynamicDimension(-1)).toBe(true);
    expect(isDynamicDimension(0)).toBe(false);
    expect(isDynamicDimension(4)).toBe(false);
  });

  it('formats shapes for messages', () => {
    expect(formatShape('float32', ['B', 4, 'h', 'w'])).toBe('float32[B,4,h,w]');
    expect(formatShape('float32', [])).toBe('float32[]');
    expect(formatShape('int64', undefined)).toBe('int64[?...]');
    expect(formatTensorSpec({ name: 'timestep', dtype: 'float32', dims: ['B'] })).toBe('timestep: float32[B]');
  });
});
