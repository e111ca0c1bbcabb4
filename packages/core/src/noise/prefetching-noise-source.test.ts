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

  it('with reuseBuffers draws every prefetch into one buffer, on the same stream', () => {
    const plain = new TorchGenerator(5);
    const dims = [1, 4, 8, 8];
    const expected = [plain.randn(dims), plain.randn(dims), plain.randn(dims), plain.randn([3]), plain.randn(dims)].map(values);
    const source = new PrefetchingNoiseSource(new TorchGenerator(5), { reuseBuffers: true });
    const initial = source.randn(dims); // no prefetch pending: a fresh tensor the caller may keep
    source.prefetch(dims);
    const first = source.randn(dims);
    const firstValues = values(first);
    source.prefetch(dims);
    const second = source.randn(dims);
    const secondValues = values(second);
    expect(second.data).toBe(first.data);
    source.prefetch(dims);
    const third = source.randn([3]); // other dims: rewound, drawn afresh
    source.prefetch(dims);
    const fourth = source.randn(dims);
    expect(fourth.data).toBe(first.data);
    expect([values(initial), firstValues, secondValues, values(third), values(fourth)]).toEqual([
      expected[0],
      expected[1],
      expected[2],
      expected[3],
      expected[4],
    ]);
  });

  it('rewinds correctly after many prefetches (the saved state is refreshed each time)', () => {
    const plain = new TorchGenerator(9);
    const expected: number[][] = [];
    for (let i = 0; i < 5; i++) expected.push(values(plain.randn([40])));
    expected.push(values(plain.rand([40])));
    const source = new PrefetchingNoiseSource(new TorchGenerator(9));
    const actual: number[][] = [];
    for (let i = 0; i < 5; i++) {
      source.prefetch([40]);
      actual.push(values(source.randn([40])));
    }
    source.prefetch([40]);
    actual.push(values(source.rand([40])));
    expect(actual).toEqual(expected);
  });

  it('rewinds exactly at every stream position, within a state block and across a twist', () => {
    // Draws of 256 (a 64² latent) and of 5 (scalar path) move the Mersenne Twister through its
    // 624-word blocks; after each prefetch the request is sometimes for other dims (a rewind),
    // sometimes a rand. Whatever the position, the numbers are the plain generator's.
    for (const [prefetched, other] of [
      [[1, 4, 8, 8], [3]],
      [[5], [1, 4, 8, 8]],
      [[40], [7]],
    ] as const) {
      const plain = new TorchGenerator(2024);
      const source = new PrefetchingNoiseSource(new TorchGenerator(2024), { reuseBuffers: true });
      for (let i = 0; i < 24; i++) {
        source.prefetch(prefetched);
        const kind = i % 3;
        if (kind === 0) expect(values(source.randn(prefetched))).toEqual(values(plain.randn(prefetched)));
        else if (kind === 1) expect(values(source.randn(other))).toEqual(values(plain.randn(other)));
        else expect(values(source.rand(other))).toEqual(values(plain.rand(other)));
      }
    }
  });

  it('rewinds exactly when a draw ends right at the end of a state block, and one past it', () => {
    // After 256 words, 368 remain in the generator's first 624-word block. randn([352]) takes
    // exactly 352 (+16 counted as a margin for partial blocks: 368, the boundary) and is undone by
    // position; randn([353]) takes 369 words, crosses into the next block and is undone by copy.
    for (const size of [352, 353, 351, 368]) {
      const plain = new TorchGenerator(77);
      const source = new PrefetchingNoiseSource(new TorchGenerator(77), { reuseBuffers: true });
      expect(values(source.randn([256]))).toEqual(values(plain.randn([256])));
      source.prefetch([size]);
      expect(values(source.rand([7])), `size ${size}`).toEqual(values(plain.rand([7])));
      source.prefetch([size]);
      expect(values(source.randn([size])), `size ${size}`).toEqual(values(plain.randn([size])));
      expect(values(source.randn([20]))).toEqual(values(plain.randn([20])));
    }
  });
});
