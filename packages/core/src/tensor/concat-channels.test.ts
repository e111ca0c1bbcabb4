import { describe, expect, it } from 'vitest';
import { concatChannels } from './concat-channels.js';
import { createTensor } from './tensor.js';
import { thrown } from '../test-support/thrown.js';

describe('concatChannels', () => {
  it('concatenates NCHW tensors along dim 1, per batch item', () => {
    // a: [2, 1, 1, 2], b: [2, 2, 1, 2]
    const a = createTensor('float32', [2, 1, 1, 2], Float32Array.of(1, 2, 3, 4));
    const b = createTensor('float32', [2, 2, 1, 2], Float32Array.of(10, 11, 12, 13, 20, 21, 22, 23));
    const result = concatChannels([a, b]);
    expect(result.dims).toEqual([2, 3, 1, 2]);
    expect(Array.from(result.data)).toEqual([1, 2, 10, 11, 12, 13, 3, 4, 20, 21, 22, 23]);
  });

  it('rejects tensors that differ outside dim 1', () => {
    const a = createTensor('float32', [1, 1, 2, 2]);
    const error = thrown(() => concatChannels([a, createTensor('float32', [1, 1, 2, 3])]));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('[1,1,2,3]');
    expect(thrown(() => concatChannels([a, createTensor('float32', [2, 1, 2, 2])])).code).toBe('SHAPE_MISMATCH');
    expect(thrown(() => concatChannels([a, createTensor('uint8', [1, 1, 2, 2]) as never])).code).toBe('DTYPE_MISMATCH');
    expect(thrown(() => concatChannels([createTensor('float32', [4])])).code).toBe('SHAPE_MISMATCH');
    expect(thrown(() => concatChannels([])).code).toBe('INVALID_ARGUMENT');
  });
});
