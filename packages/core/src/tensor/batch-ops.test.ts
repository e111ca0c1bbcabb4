import { describe, expect, it } from 'vitest';
import { repeatBatch, sliceBatch, splitBatch, stackBatch } from './batch-ops.js';
import { cloneTensor } from './clone-tensor.js';
import { createTensor } from './tensor.js';
import { thrown } from '../test-support/thrown.js';

// Batch of 3 items of shape [2]: item i holds [10i, 10i + 1].
const batch = () => createTensor('float32', [3, 2], Float32Array.of(0, 1, 10, 11, 20, 21));

describe('sliceBatch / splitBatch', () => {
  it('slices items as views', () => {
    const source = batch();
    const middle = sliceBatch(source, 1);
    expect(middle.dims).toEqual([1, 2]);
    expect(Array.from(middle.data)).toEqual([10, 11]);
    middle.data[0] = -1;
    expect(source.data[2]).toBe(-1); // shares memory, as documented
    expect(Array.from(sliceBatch(source, 1, 3).data)).toEqual([-1, 11, 20, 21]);
  });

  it('splits into equal parts or explicit sizes', () => {
    const cfg = createTensor('float32', [2, 1, 2], Float32Array.of(1, 2, 3, 4));
    const [uncond, cond] = splitBatch(cfg, 2);
    expect(uncond!.dims).toEqual([1, 1, 2]);
    expect(Array.from(cond!.data)).toEqual([3, 4]);
    const parts = splitBatch(batch(), [1, 2]);
    expect(parts.map((part) => part.dims[0])).toEqual([1, 2]);
    expect(Array.from(parts[1]!.data)).toEqual([10, 11, 20, 21]);
  });

  it('rejects bad ranges and splits', () => {
    const range = thrown(() => sliceBatch(batch(), 2, 4));
    expect(range.code).toBe('INVALID_ARGUMENT');
    expect(range.message).toContain('[2, 4)');
    const uneven = thrown(() => splitBatch(batch(), 2));
    expect(uneven.code).toBe('SHAPE_MISMATCH');
    expect(uneven.message).toContain('3');
    expect(thrown(() => splitBatch(batch(), [1, 1])).message).toContain('[1,1]');
    expect(thrown(() => splitBatch(batch(), 0)).code).toBe('INVALID_ARGUMENT');
    expect(thrown(() => sliceBatch(createTensor('float32', []), 0)).code).toBe('SHAPE_MISMATCH');
  });
});

describe('stackBatch', () => {
  it('concatenates along dim 0 for any dtype', () => {
    const a = createTensor('int64', [1, 2], BigInt64Array.of(1n, 2n));
    const b = createTensor('int64', [2, 2], BigInt64Array.of(3n, 4n, 5n, 6n));
    const stacked = stackBatch([a, b]);
    expect(stacked.dims).toEqual([3, 2]);
    expect(Array.from(stacked.data)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it('rejects mismatched trailing dims and dtypes', () => {
    const error = thrown(() => stackBatch([batch(), createTensor('float32', [1, 3])]));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('[1,3]');
    const dtype = thrown(() => stackBatch([batch(), createTensor('int32', [1, 2]) as never]));
    expect(dtype.code).toBe('DTYPE_MISMATCH');
    expect(thrown(() => stackBatch([])).code).toBe('INVALID_ARGUMENT');
  });
});

describe('repeatBatch', () => {
  const pair = () => createTensor('float32', [2, 1], Float32Array.of(1, 2));

  it('repeats the whole batch like torch.cat([x] * n)', () => {
    const result = repeatBatch(pair(), 3);
    expect(result.dims).toEqual([6, 1]);
    expect(Array.from(result.data)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('repeats each item like repeat_interleave when asked', () => {
    expect(Array.from(repeatBatch(pair(), 2, { interleave: true }).data)).toEqual([1, 1, 2, 2]);
  });

  it('rejects a bad repeat count, naming it', () => {
    const error = thrown(() => repeatBatch(pair(), 1.5));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('1.5');
  });
});

describe('cloneTensor', () => {
  it('copies the buffer', () => {
    const source = batch();
    const copy = cloneTensor(source);
    copy.data[0] = 99;
    expect(source.data[0]).toBe(0);
    expect(copy.dims).toEqual([3, 2]);
    expect(copy.dtype).toBe('float32');
  });
});
