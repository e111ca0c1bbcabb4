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

  it('throws exactly when findTensorMapProblems finds a problem (its fast path agrees on 4,000 mutated feed maps)', () => {
    // checkFeeds decides conforming feeds without building messages; any disagreement with the
    // full check would either let a bad feed reach the runtime or reject a good one.
    const specs: TensorSpec[] = [
      { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
      { name: 'timestep', dtype: 'float32', dims: ['B'] },
      { name: 'context', dtype: 'float32', dims: ['B', 'L', 3] },
      { name: 'mask', dtype: 'int64', dims: ['B', '?'] },
      { name: 'free', dtype: 'uint8', dims: undefined },
    ];
    let state = 12345;
    const random = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    const base = (): Record<string, Tensor> => ({
      sample: createTensor('float32', [2, 4, 3, 5]),
      timestep: createTensor('float32', [2]),
      context: createTensor('float32', [2, 6, 3]),
      mask: createTensor('int64', [2, 6]),
      free: createTensor('uint8', [7]),
    });
    const names = specs.map((spec) => spec.name);
    const counts = { conforming: 0, rejected: 0 };
    for (let trial = 0; trial < 4000; trial++) {
      const feeds: Record<string, unknown> = base();
      for (let m = random(3); m > 0; m--) {
        const name = names[random(names.length)]!;
        const current = feeds[name] as Tensor | undefined;
        // Mutations build on valid tensors only (createTensor rejects what case 6 makes).
        const tensor = current && current.dims.every((d) => Number.isInteger(d) && d >= 0) ? current : undefined;
        switch (random(9)) {
          case 0:
            delete feeds[name];
            break;
          case 1:
            feeds.extra = createTensor('float32', [1]);
            break;
          case 2:
            if (tensor) feeds[name] = { ...tensor, dtype: tensor.dtype === 'float32' ? 'int64' : 'float32' };
            break;
          case 3: // another size on one axis, buffer resized to match
            if (tensor && tensor.dims.length > 0) {
              const dims = [...tensor.dims];
              dims[random(dims.length)] = 1 + random(4);
              feeds[name] = createTensor(tensor.dtype, dims);
            }
            break;
          case 4: // rank change
            if (tensor) feeds[name] = createTensor(tensor.dtype, [...tensor.dims, 1]);
            break;
          case 5: // buffer length disagrees with dims
            if (tensor) feeds[name] = { ...tensor, data: tensor.data.subarray(0, Math.max(0, tensor.data.length - 1)) };
            break;
          case 6: // invalid dims
            if (tensor) feeds[name] = { ...tensor, dims: [...tensor.dims.slice(1), random(2) === 0 ? -1 : 1.5] };
            break;
          case 7: // an inherited (not own) feed
            if (tensor) {
              const rest = { ...feeds };
              delete rest[name];
              Object.setPrototypeOf(rest, { [name]: tensor });
              for (const key of Object.keys(feeds)) delete feeds[key];
              Object.assign(feeds, rest);
              Object.setPrototypeOf(feeds, Object.getPrototypeOf(rest));
            }
            break;
          default:
            break; // unchanged
        }
      }
      for (const symbolicDimensions of [true, false]) {
        for (const rejectUnexpected of [true, false]) {
          const options = { symbolicDimensions, rejectUnexpected };
          const problems = findTensorMapProblems(specs, feeds as Record<string, Tensor>, options);
          let error: unknown;
          try {
            checkFeeds('m', specs, feeds as Record<string, Tensor>, options);
          } catch (caught) {
            error = caught;
          }
          expect(error !== undefined, JSON.stringify({ trial, options, problems })).toBe(problems.length > 0);
          if (error === undefined) counts.conforming++;
          else counts.rejected++;
        }
      }
    }
    // Both outcomes occur often enough for the agreement to mean something.
    expect(counts.conforming).toBeGreaterThan(2000);
    expect(counts.rejected).toBeGreaterThan(4000);
  });
});
