import { describe, expect, it, vi } from 'vitest';
import { compareLargeDraws, compareSequences, compareSingleDraws } from './test-support/torch-generator-fixture.js';
import { noiseKernels } from './noise-kernels.js';

// Where WebAssembly SIMD is missing (or a Content-Security-Policy forbids compiling it), the
// generator runs its JavaScript kernels: the same torch fixtures must hold there too.
vi.mock('./noise-kernels.js', async (original) => ({
  ...(await original<typeof import('./noise-kernels.js')>()),
  noiseKernels: () => null,
}));

describe('TorchGenerator without the WebAssembly kernels', () => {
  it('runs its JavaScript path here', () => {
    expect(noiseKernels()).toBeNull();
  });

  it('reproduces single draws, mixed streams and 1×4×128×128 latents bit for bit', () => {
    const single = compareSingleDraws();
    expect(single.firstMismatch).toBeUndefined();
    expect(single.identical).toBe(single.values);
    const sequences = compareSequences();
    expect(sequences.firstMismatch).toBeUndefined();
    expect(sequences.identical).toBe(sequences.values);
    const large = compareLargeDraws();
    expect(large.edges.firstMismatch).toBeUndefined();
    expect(large.hashesMatching).toBe(large.cases);
  });
});
