import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { createTensor } from '../tensor/tensor.js';
import { mixImageEmbeddings } from './image-embedding-mix.js';

interface MixCase {
  dims: number[];
  weights: number[];
  normalize: boolean;
  embeddings: string[];
  expected: string;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/guidance.json', import.meta.url), 'utf8')) as {
  mix: MixCase[];
};

function decode(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function expectError(run: () => unknown, code: string, ...named: string[]): void {
  try {
    run();
  } catch (error) {
    expect(KandinskyError.isInstance(error)).toBe(true);
    expect((error as KandinskyError).code).toBe(code);
    for (const text of named) expect((error as KandinskyError).message).toContain(text);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

const embedding = (...values: number[]) => createTensor('float32', [1, values.length], Float32Array.from(values));

describe('mixImageEmbeddings vs torch (tools/reference/guidance.py)', () => {
  for (const testCase of fixture.mix) {
    it(`weights ${JSON.stringify(testCase.weights)}, normalize ${testCase.normalize}`, () => {
      const embeddings = testCase.embeddings.map((data) => createTensor('float32', testCase.dims, decode(data)));
      const mixed = mixImageEmbeddings(embeddings, testCase.weights, { normalize: testCase.normalize });
      expect(mixed.dims).toEqual(testCase.dims);
      const expected = decode(testCase.expected);
      let max = 0;
      for (let index = 0; index < expected.length; index++) max = Math.max(max, Math.abs(mixed.data[index]! - expected[index]!));
      expect(max).toBeLessThan(1e-6);
    });
  }

  it('does not normalise by default (spec §4.6): weights [1, 1] double the embedding', () => {
    const mixed = mixImageEmbeddings([embedding(1, 2), embedding(1, 2)], [1, 1]);
    expect(Array.from(mixed.data)).toEqual([2, 4]);
    const normalised = mixImageEmbeddings([embedding(1, 2), embedding(1, 2)], [1, 1], { normalize: true });
    expect(Array.from(normalised.data)).toEqual([1, 2]);
  });

  it('may write into one of its inputs', () => {
    const first = embedding(1, 2);
    const result = mixImageEmbeddings([first, embedding(3, 4)], [0.5, 0.5], { out: first });
    expect(result).toBe(first);
    expect(Array.from(first.data)).toEqual([2, 3]);
  });
});

describe('mixImageEmbeddings errors', () => {
  it('rejects no embeddings', () => {
    expectError(() => mixImageEmbeddings([], []), 'INVALID_EMBEDDING_WEIGHTS', '0 embeddings');
  });
  it('rejects a count mismatch, naming both counts', () => {
    expectError(() => mixImageEmbeddings([embedding(1), embedding(2)], [1]), 'INVALID_EMBEDDING_WEIGHTS', '2 image embeddings', '1 weights');
  });
  it.each([
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
  ])('rejects the non-finite weight %s, naming it and its index', (bad, text) => {
    expectError(() => mixImageEmbeddings([embedding(1), embedding(2)], [0.5, bad]), 'INVALID_EMBEDDING_WEIGHTS', text, 'index 1');
  });
  it('rejects a non-number weight', () => {
    expectError(
      () => mixImageEmbeddings([embedding(1)], ['1' as unknown as number]),
      'INVALID_EMBEDDING_WEIGHTS',
      '"1"',
      'index 0',
    );
  });
  it('rejects mismatched embedding dims', () => {
    expectError(() => mixImageEmbeddings([embedding(1, 2), embedding(1, 2, 3)], [1, 1]), 'SHAPE_MISMATCH', 'embedding 1', '[1,3]');
  });
  it('rejects all-zero weights', () => {
    expectError(() => mixImageEmbeddings([embedding(1), embedding(2)], [0, 0]), 'INVALID_EMBEDDING_WEIGHTS', '[0,0]');
  });
  it('rejects normalising weights that sum to zero', () => {
    expectError(
      () => mixImageEmbeddings([embedding(1), embedding(2)], [1, -1], { normalize: true }),
      'INVALID_EMBEDDING_WEIGHTS',
      '[1,-1]',
    );
  });
  it('rejects a float16 embedding', () => {
    expectError(
      () => mixImageEmbeddings([createTensor('float16', [1, 1]) as never], [1]),
      'DTYPE_MISMATCH',
      '"float16"',
    );
  });
});
