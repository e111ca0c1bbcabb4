import { describe, expect, it } from 'vitest';
import { pixelKernels } from '../image/pixel-kernels.js';
import { noiseKernels } from '../noise/noise-kernels.js';

// Runs only in the vitest project `core-javascript-kernels` (see vitest.config.ts): proves that
// the noise and image suites there run on the JavaScript kernels.
describe('the core-javascript-kernels project', () => {
  it('has no WebAssembly kernels', () => {
    expect(noiseKernels()).toBeNull();
    expect(pixelKernels()).toBeNull();
  });
});
