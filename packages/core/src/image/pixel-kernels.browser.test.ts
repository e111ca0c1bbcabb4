import { describe, expect, it } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { tensorToImages } from './image-tensor.js';
import { pixelKernels } from './pixel-kernels.js';

// Runs in Chromium (vitest project `core-browser`): the WebAssembly pixel kernels compile on the
// page's thread and give the bytes of the formula.
describe('pixel kernels in the browser', () => {
  it('instantiates and converts as the formula does', () => {
    expect(pixelKernels()).not.toBeNull();
    const values = [-1, -0.5, 0, 0.5, 1, Number.NaN, 0.0019607844, -0.9960784, 2, -2, 0.25, 0.75, 0.1, -0.1, 0.999, -0.999];
    const tensor = createTensor('float32', [1, 3, 4, 4], Float32Array.from([...values, ...values, ...values]));
    const [image] = tensorToImages(tensor, { rounding: 'round' });
    const f = Math.fround;
    const expected = values.map((x) => {
      const v = f(f(x + 1) * 0.5);
      const scaled = f((v > 0 ? (v > 1 ? 1 : v) : 0) * 255);
      return scaled + 4503599627370496 - 4503599627370496;
    });
    expect(Array.from(image!.data).filter((_, i) => i % 3 === 0)).toEqual(expected);
  });
});
