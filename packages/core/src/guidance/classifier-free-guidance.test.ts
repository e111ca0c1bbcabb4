import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { classifierFreeGuidance, classifierFreeGuidanceBatched } from './classifier-free-guidance.js';

interface GuidanceCase {
  dims: number[];
  guidanceScale: number;
  guidanceRescale: number;
  conditional: string;
  unconditional: string;
  expected: string;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/guidance.json', import.meta.url), 'utf8')) as {
  guidance: GuidanceCase[];
};

function decode(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function tensor(dims: number[], data: Float32Array): Tensor<'float32'> {
  return createTensor('float32', dims, data);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index]! - b[index]!));
  return max;
}

function expectError(run: () => unknown, code: string, named: string): void {
  try {
    run();
  } catch (error) {
    expect(KandinskyError.isInstance(error)).toBe(true);
    expect((error as KandinskyError).code).toBe(code);
    expect((error as KandinskyError).message).toContain(named);
    return;
  }
  throw new Error(`expected a ${code} error naming ${named}`);
}

describe('classifierFreeGuidance vs torch (tools/reference/guidance.py)', () => {
  for (const testCase of fixture.guidance) {
    const label = `w=${testCase.guidanceScale}, rescale=${testCase.guidanceRescale}, dims ${testCase.dims.join('×')}`;

    it(`two tensors, out: ${label}`, () => {
      const conditional = tensor(testCase.dims, decode(testCase.conditional));
      const unconditional = tensor(testCase.dims, decode(testCase.unconditional));
      const before = Float32Array.from(conditional.data);
      const out = createTensor('float32', testCase.dims);
      const result = classifierFreeGuidance(conditional, unconditional, {
        guidanceScale: testCase.guidanceScale,
        guidanceRescale: testCase.guidanceRescale,
        out,
      });
      expect(result).toBe(out);
      expect(maxAbsDifference(out.data, decode(testCase.expected))).toBeLessThan(5e-6);
      expect(conditional.data).toEqual(before);
    });

    for (const order of ['cond-first', 'uncond-first'] as const) {
      it(`batched ${order}, in place: ${label}`, () => {
        const conditional = decode(testCase.conditional);
        const unconditional = decode(testCase.unconditional);
        const batch = new Float32Array(conditional.length * 2);
        batch.set(order === 'cond-first' ? conditional : unconditional, 0);
        batch.set(order === 'cond-first' ? unconditional : conditional, conditional.length);
        const dims = [testCase.dims[0]! * 2, ...testCase.dims.slice(1)];
        const result = classifierFreeGuidanceBatched(tensor(dims, batch), {
          order,
          guidanceScale: testCase.guidanceScale,
          guidanceRescale: testCase.guidanceRescale,
        });
        expect(result.dims).toEqual(testCase.dims);
        // In place: the result shares the conditional half of the batch buffer.
        expect(result.data.buffer).toBe(batch.buffer);
        expect(result.data.byteOffset).toBe(order === 'cond-first' ? 0 : conditional.byteLength);
        expect(maxAbsDifference(result.data, decode(testCase.expected))).toBeLessThan(5e-6);
      });
    }
  }

  it('is standard CFG with scale w + 1 (spec §3.8): w = 3 ≙ 4', () => {
    const conditional = tensor([1, 2], Float32Array.of(1, -2));
    const unconditional = tensor([1, 2], Float32Array.of(0.5, 1));
    const result = classifierFreeGuidance(conditional, unconditional, {
      guidanceScale: 3,
      out: createTensor('float32', [1, 2]),
    });
    // uncond + 4·(cond − uncond)
    expect(Array.from(result.data)).toEqual([0.5 + 4 * 0.5, 1 + 4 * -3]);
  });

  it('writes into conditional by default', () => {
    const conditional = tensor([1, 2], Float32Array.of(1, 2));
    const result = classifierFreeGuidance(conditional, tensor([1, 2], Float32Array.of(0, 0)), { guidanceScale: 1 });
    expect(result).toBe(conditional);
    expect(Array.from(conditional.data)).toEqual([2, 4]);
  });

  it('rescales by σ(cond)/σ(guided) even far from zero mean (no cancellation)', () => {
    // guided = 2·cond − uncond = [1000, 1002, 1004]: σ = 2, σ(cond) = 1 → factor ½ with φ = 1
    const result = classifierFreeGuidance(
      tensor([1, 3], Float32Array.of(1000, 1001, 1002)),
      tensor([1, 3], Float32Array.of(1000, 1000, 1000)),
      { guidanceScale: 1, guidanceRescale: 1 },
    );
    expect(Array.from(result.data)).toEqual([500, 501, 502]);
    const half = classifierFreeGuidance(
      tensor([1, 3], Float32Array.of(1000, 1001, 1002)),
      tensor([1, 3], Float32Array.of(1000, 1000, 1000)),
      { guidanceScale: 1, guidanceRescale: 0.5 },
    );
    expect(Array.from(half.data)).toEqual([750, 751.5, 753]);
  });

  it('leaves a constant prediction unrescaled instead of producing NaN', () => {
    const conditional = tensor([1, 3], Float32Array.of(1, 2, 3));
    const unconditional = tensor([1, 3], Float32Array.of(2, 3, 4)); // guided = cond − w: std 1, not 0
    const constant = classifierFreeGuidance(tensor([1, 3], Float32Array.of(5, 5, 5)), tensor([1, 3], Float32Array.of(1, 1, 1)), {
      guidanceScale: 1,
      guidanceRescale: 0.5,
      out: createTensor('float32', [1, 3]),
    });
    expect(Array.from(constant.data)).toEqual([9, 9, 9]);
    const guided = classifierFreeGuidance(conditional, unconditional, { guidanceScale: 1, guidanceRescale: 1 });
    // std(cond) = std(guided) = 1 here, so the full rescale is the identity.
    expect(Array.from(guided.data)).toEqual([0, 1, 2]);
  });
});

describe('classifierFreeGuidance errors', () => {
  const a = () => tensor([1, 2], Float32Array.of(1, 2));
  it.each([Number.NaN, Infinity, -Infinity])('rejects guidanceScale %s', (scale) => {
    expectError(() => classifierFreeGuidance(a(), a(), { guidanceScale: scale }), 'INVALID_ARGUMENT', String(scale));
  });
  it.each([-0.1, 1.5, Number.NaN])('rejects guidanceRescale %s', (rescale) => {
    expectError(
      () => classifierFreeGuidance(a(), a(), { guidanceScale: 3, guidanceRescale: rescale }),
      'INVALID_ARGUMENT',
      String(rescale),
    );
  });
  it('rejects mismatched shapes', () => {
    expectError(
      () => classifierFreeGuidance(a(), tensor([2, 1], Float32Array.of(1, 2)), { guidanceScale: 3 }),
      'SHAPE_MISMATCH',
      '[2,1]',
    );
    expectError(
      () => classifierFreeGuidance(a(), a(), { guidanceScale: 3, out: createTensor('float32', [1, 3]) }),
      'SHAPE_MISMATCH',
      '[1,3]',
    );
  });
  it('rejects an odd CFG batch and an unknown order', () => {
    expectError(
      () => classifierFreeGuidanceBatched(tensor([3, 1], Float32Array.of(1, 2, 3)), { order: 'cond-first', guidanceScale: 3 }),
      'SHAPE_MISMATCH',
      '[3,1]',
    );
    expectError(
      () =>
        classifierFreeGuidanceBatched(tensor([2, 1], Float32Array.of(1, 2)), {
          order: 'sideways' as 'cond-first',
          guidanceScale: 3,
        }),
      'INVALID_ARGUMENT',
      '"sideways"',
    );
  });
  it('rejects a non-float32 tensor', () => {
    expectError(
      () => classifierFreeGuidance(createTensor('int32', [1, 2]) as unknown as Tensor<'float32'>, a(), { guidanceScale: 3 }),
      'DTYPE_MISMATCH',
      '"int32"',
    );
  });
});
