import { describe, expect, it, vi } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { tensorToImages } from './image-tensor.js';
import { pixelKernels } from './pixel-kernels.js';

// Where WebAssembly SIMD is missing (or a Content-Security-Policy forbids compiling it),
// tensorToImages converts every pixel in JavaScript: the bytes must be the same.
vi.mock('./pixel-kernels.js', async (original) => ({
  ...(await original<typeof import('./pixel-kernels.js')>()),
  pixelKernels: () => null,
}));

describe('tensorToImages without the WebAssembly kernels', () => {
  it('runs its JavaScript kernels here', () => {
    expect(pixelKernels()).toBeNull();
  });

  it('gives the bytes the kernels give, for both roundings and ranges', async () => {
    const { pixelKernels: real } = await vi.importActual<typeof import('./pixel-kernels.js')>('./pixel-kernels.js');
    const kernels = real();
    if (kernels === null) throw new Error('the WebAssembly pixel kernels did not instantiate in this Node');
    let seed = 7;
    const data = Float32Array.from({ length: 3 * 32 }, () => Math.fround(((seed = (Math.imul(seed, 69069) + 1) >>> 0) / 2 ** 32) * 2.4 - 1.2));
    data[5] = Number.NaN;
    const tensor = createTensor('float32', [1, 3, 4, 8], data);
    for (const [range, add, scale] of [
      ['minus-one-to-one', 1, 0.5],
      ['zero-to-one', 0, 1],
    ] as const) {
      for (const rounding of ['round', 'truncate'] as const) {
        const [image] = tensorToImages(tensor, { range, rounding });
        for (let c = 0; c < 3; c++) kernels.planes[c]!.set(data.subarray(32 * c, 32 * c + 32));
        kernels.convert(rounding, 32, add, scale);
        expect(Array.from(image!.data), `${range} ${rounding}`).toEqual(Array.from(kernels.rgb.subarray(0, 96)));
      }
    }
  });
});
