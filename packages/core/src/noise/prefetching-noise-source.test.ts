import { describe, expect, it } from 'vitest';
import { PrefetchingNoiseSource } from './prefetching-noise-source.js';
import { TorchGenerator } from './torch-generator.js';

const values = (tensor: { data: Float32Array }) => Array.from(tensor.data);

describe('PrefetchingNoiseSource', () => {
  it('returns exactly the stream of a plain generator when prefetches are used', () => {
    const plain = new TorchGenerator(42);
    const expected = [plain.randn([2, 17]), plain.randn([2, 17]), plain.randn([3])].map(values);
    const source = new PrefetchingNoiseSource(new TorchGenerator(42));
    source.prefetch([2, 17]);
    const first = source.randn([2, 17]);
    source.prefetch([2, 17]);
    source.prefetch([2, 17]); // a second prefetch while one waits is a no-op
    const second = source.randn([2, 17]);
    expect([first, second, source.randn([3])].map(values)).toEqual(expected);
  });

  it('rewinds when the next request has other dims, or is a rand', () => {
    const plain = new TorchGenerator(7);
    const expected = [values(plain.randn([5])), values(plain.rand([20])), values(plain.randn([20]))];
    const source = new PrefetchingNoiseSource(new TorchGenerator(7));
    source.prefetch([20]);
    const a = values(source.randn([5])); // scalar path (< 16): different dims → rewound
    source.prefetch([16, 2]);
    const b = values(source.rand([20]));
    source.prefetch([20]);
    expect([a, b, values(source.randn([20]))]).toEqual(expected);
  });
});
