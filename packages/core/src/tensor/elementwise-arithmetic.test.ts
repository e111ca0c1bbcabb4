import { describe, expect, it } from 'vitest';
import { add, linearCombination, scale, sub } from './elementwise-arithmetic.js';
import { createTensor } from './tensor.js';
import { thrown } from '../test-support/thrown.js';

const f32 = (dims: number[], values: number[]) => createTensor('float32', dims, Float32Array.from(values));

describe('scale / add / sub', () => {
  const a = f32([2, 2], [1, 2, 3, 4]);
  const b = f32([2, 2], [0.5, -1, 10, 0]);

  it('compute element-wise results into a new tensor', () => {
    expect(Array.from(scale(a, -2).data)).toEqual([-2, -4, -6, -8]);
    expect(Array.from(add(a, b).data)).toEqual([1.5, 1, 13, 4]);
    expect(Array.from(sub(a, b).data)).toEqual([0.5, 3, -7, 4]);
    expect(add(a, b).dims).toEqual([2, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
  });

  it('work in place when out is an input', () => {
    const x = f32([3], [1, 2, 3]);
    expect(scale(x, 0.5, x)).toBe(x);
    expect(Array.from(x.data)).toEqual([0.5, 1, 1.5]);
    const y = f32([3], [1, 1, 1]);
    add(x, y, y);
    expect(Array.from(y.data)).toEqual([1.5, 2, 2.5]);
    sub(x, y, x);
    expect(Array.from(x.data)).toEqual([-1, -1, -1]);
  });

  it('reject mismatched shapes with SHAPE_MISMATCH naming both', () => {
    const error = thrown(() => add(a, f32([4], [1, 2, 3, 4])));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('[4]');
    expect(error.message).toContain('[2,2]');
    expect(thrown(() => sub(a, b, f32([1], [0]))).code).toBe('SHAPE_MISMATCH');
  });

  it('reject non-float32 inputs and outputs with DTYPE_MISMATCH', () => {
    const ints = createTensor('int32', [2, 2]);
    expect(thrown(() => add(a, ints as never)).code).toBe('DTYPE_MISMATCH');
    const error = thrown(() => scale(a, 2, ints as never));
    expect(error.code).toBe('DTYPE_MISMATCH');
    expect(error.message).toContain('"int32"');
  });

  it('reject a non-finite scale factor, naming it', () => {
    const error = thrown(() => scale(a, Number.NaN));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('NaN');
  });
});

describe('linearCombination', () => {
  const x = f32([4], [1, 2, 3, 4]);
  const y = f32([4], [10, 20, 30, 40]);
  const z = f32([4], [-1, 0, 1, 0.5]);
  const w = f32([4], [100, 100, 100, 100]);

  it('evaluates 1 to 4 terms', () => {
    expect(Array.from(linearCombination([[3, x]]).data)).toEqual([3, 6, 9, 12]);
    expect(Array.from(linearCombination([[2, x], [0.5, y]]).data)).toEqual([7, 14, 21, 28]);
    expect(Array.from(linearCombination([[1, x], [1, y], [2, z]]).data)).toEqual([9, 22, 35, 45]);
    expect(Array.from(linearCombination([[1, x], [1, y], [2, z], [-0.01, w]]).data)).toEqual([8, 21, 34, 44]);
  });

  it('rounds to float32 once (float64 accumulation)', () => {
    // 0.1·1 + 0.2·1 in float64 is 0.30000000000000004 → float32 0.3 (0x3e99999a).
    const ones = f32([1], [1]);
    expect(linearCombination([[0.1, ones], [0.2, ones]]).data[0]).toBe(Math.fround(0.3));
  });

  it('can write over one of its inputs', () => {
    const target = f32([4], [1, 2, 3, 4]);
    linearCombination([[2, target], [1, y]], target);
    expect(Array.from(target.data)).toEqual([12, 24, 36, 48]);
  });

  it('rejects bad terms', () => {
    expect(thrown(() => linearCombination([])).code).toBe('INVALID_ARGUMENT');
    const coefficient = thrown(() => linearCombination([[1, x], [Infinity, y]]));
    expect(coefficient.code).toBe('INVALID_ARGUMENT');
    expect(coefficient.message).toContain('coefficient 1');
    expect(coefficient.message).toContain('Infinity');
    const shape = thrown(() => linearCombination([[1, x], [1, f32([2, 2], [1, 2, 3, 4])]]));
    expect(shape.code).toBe('SHAPE_MISMATCH');
    expect(shape.message).toContain('tensor 1');
  });
});
