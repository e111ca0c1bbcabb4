import { describe, expect, it } from 'vitest';
import { inlineNoiseSources } from './noise-source-factory.js';
import { TorchGenerator } from './torch-generator.js';

describe('inlineNoiseSources', () => {
  it('draws each seed\'s PyTorch stream, prefetched or not', () => {
    const dims = [1, 4, 16, 16];
    const source = inlineNoiseSources.create(77, dims);
    const reference = new TorchGenerator(77);
    expect(Array.from(source.randn(dims).data)).toEqual(Array.from(reference.randn(dims).data));
    source.prefetch(dims);
    expect(Array.from(source.randn(dims).data)).toEqual(Array.from(reference.randn(dims).data));
    source.prefetch(dims);
    expect(Array.from(source.rand([9]).data)).toEqual(Array.from(reference.rand([9]).data));
    source.release();
  });

  it('keeps no state between sources and disposes to nothing', async () => {
    const a = inlineNoiseSources.create(1, [4]).randn([20]);
    const b = inlineNoiseSources.create(1, [4]).randn([20]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    await expect(inlineNoiseSources.dispose()).resolves.toBeUndefined();
  });
});
