import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../noise/torch-generator.js';
import { createImageMask } from './image-mask.js';
import { dilateMask } from './mask-dilation.js';

/** prepare_mask transcribed literally: three float64 convolutions, SciPy's reflect border, then > 0. */
function prepareMask(data: Float32Array, width: number, height: number): number[] {
  const kernel = [1, 1, 1, 1, 1, 1, 5, 5, 5, 1, 1, 5, 44, 5, 1, 1, 5, 5, 5, 1, 1, 1, 1, 1, 1].map((v) => v / 100);
  const reflect = (i: number, n: number) => {
    const folded = ((i % (2 * n)) + 2 * n) % (2 * n);
    return folded < n ? folded : 2 * n - 1 - folded;
  };
  let values = Float64Array.from(data);
  for (let pass = 0; pass < 3; pass++) {
    const out = new Float64Array(values.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) sum += kernel[(i + 2) * 5 + j + 2]! * values[reflect(y + i, height) * width + reflect(x + j, width)]!;
        out[y * width + x] = sum;
      }
    }
    values = out;
  }
  return Array.from(values, (v) => (v > 0 ? 1 : 0));
}

describe("dilateMask (the reference notebook's prepare_mask)", () => {
  it('equals the three reflected convolutions on sparse fractional masks, borders included', () => {
    const noise = new TorchGenerator(5).randn([3, 30, 40]).data;
    for (let trial = 0; trial < 3; trial++) {
      const data = new Float32Array(30 * 40);
      for (let i = 0; i < data.length; i++) data[i] = noise[trial * data.length + i]! > 2.2 ? Math.min(1, Math.abs(noise[i]!) / 3) : 0;
      data[0] = 0.25;
      data[data.length - 1] = 1e-30;
      const dilated = dilateMask(createImageMask(40, 30, data));
      expect(Array.from(dilated.data)).toEqual(prepareMask(data, 40, 30));
      expect(dilated.data.filter((v) => v === 1).length).toBeGreaterThan(data.filter((v) => v > 0).length);
    }
  });

  it('keeps an empty mask empty and works on masks smaller than the kernel', () => {
    expect(Array.from(dilateMask(createImageMask(3, 2)).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(dilateMask(createImageMask(1, 1, Float32Array.of(0.5))).data)).toEqual([1]);
    const row = createImageMask(20, 1, Float32Array.from({ length: 20 }, (_, i) => (i === 10 ? 1 : 0)));
    expect(Array.from(dilateMask(row).data)).toEqual(Array.from({ length: 20 }, (_, i) => (Math.abs(i - 10) <= 6 ? 1 : 0)));
  });
});
