import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { checkFeeds, findTensorMapProblems } from './check-feeds.js';
import type { TensorSpec } from './tensor-spec.js';

const inputs: TensorSpec[] = [
  { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
  { name: 'timestep', dtype: 'float32', dims: ['B'] },
];

const sample = createTensor('float32', [2, 4, 8, 8]);
const timestep = createTensor('float32', [2]);


describe('checkFeeds', () => {
  it('accepts feeds that match, binding symbolic dims consistently', () => {
    expect(() => checkFeeds('unet', inputs, { sample, timestep })).not.toThrow();
  });

  it('reports a missing input with INVALID_ARGUMENT naming it', () => {
    const error = thrown(() => checkFeeds('unet', inputs, { sample }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('missing "timestep" (timestep: float32[B])');
    expect(error.message).toContain('Invalid feeds for "unet" (1 problem)');
  });

  it('reports an unknown feed, listing the known names', () => {
    const error = thrown(() => checkFeeds('unet', inputs, { sample, timestep, guidance: timestep }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('unexpected "guidance" (known: sample, timestep)');
  });

  it('reports a wrong dtype with DTYPE_MISMATCH', () => {
    const error = thrown(() => checkFeeds('unet', inputs, { sample, timestep: createTensor('int64', [2]) }));
    expect(error.code).toBe('DTYPE_MISMATCH');
    expect(error.message).toContain('"timestep" has dtype int64, expected float32');
  });

  it('reports wrong rank and wrong fixed size with SHAPE_MISMATCH', () => {
    const rank = thrown(() => checkFeeds('unet', inputs, { sample: createTensor('float32', [4, 8, 8]), timestep }));
    expect(rank.code).toBe('SHAPE_MISMATCH');
    expect(rank.message).toContain('"sample" has rank 3 (float32[4,8,8]), expected rank 4 (float32[B,4,h,w])');
    const size = thrown(() => checkFeeds('unet', inputs, { sample: createTensor('float32', [2, 9, 8, 8]), timestep }));
    expect(size.code).toBe('SHAPE_MISMATCH');
    expect(size.message).toContain('"sample" has size 9 at axis 1 (float32[2,9,8,8]), expected 4');
  });

  it('reports a symbolic dimension bound to two sizes (a CFG batch of 2 with a timestep batch of 1)', () => {
    const error = thrown(() => checkFeeds('unet', inputs, { sample, timestep: createTensor('float32', [1]) }));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('"timestep" has B=1 at axis 0, but "sample" has B=2');
    expect(() =>
      checkFeeds('unet', inputs, { sample, timestep: createTensor('float32', [1]) }, { symbolicDimensions: false }),
    ).not.toThrow();
  });

  it('does not bind the anonymous "?" dimension', () => {
    const anonymous: TensorSpec[] = [
      { name: 'a', dtype: 'float32', dims: ['?'] },
      { name: 'b', dtype: 'float32', dims: ['?'] },
    ];
    expect(() => checkFeeds('m', anonymous, { a: createTensor('float32', [1]), b: createTensor('float32', [3]) })).not.toThrow();
  });

  it('reports a buffer whose length disagrees with its dims', () => {
    const lying: Tensor = { dtype: 'float32', dims: [2], data: new Float32Array(3) };
    const error = thrown(() => checkFeeds('unet', inputs, { sample, timestep: lying }));
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('"timestep" has 3 elements in its buffer but dims [2] need 2');
  });

  it('lists all problems, with the code of the first', () => {
    const problems = findTensorMapProblems(inputs, { timestep: createTensor('int32', [2]), extra: sample });
    expect(problems.map((problem) => problem.code)).toEqual(['INVALID_ARGUMENT', 'DTYPE_MISMATCH', 'INVALID_ARGUMENT']);
    const error = thrown(() => checkFeeds('unet', inputs, { timestep: createTensor('int32', [2]), extra: sample }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('(3 problems)');
    expect(error.details.problems).toHaveLength(3);
  });

  it('rejects feeds that are not an object, naming the value', () => {
    const error = thrown(() => checkFeeds('unet', inputs, null as never));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('got null');
    expect(error.hint).toContain('sample, timestep');
  });

  it('ignores inherited properties when looking feeds up', () => {
    const error = thrown(() => checkFeeds('m', [{ name: 'toString', dtype: 'float32', dims: [1] }], {}));
    expect(error.message).toContain('missing "toString"');
  });
});
