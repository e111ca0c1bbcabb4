import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../noise/torch-generator.js';
import { createImageMask } from './image-mask.js';
import { dilateMask } from './mask-dilation.js';

/** An independent statement of what prepare_mask does to a mask of values ≥ 0: a 13×13 square max, then > 0. */
function squareDilation(data: Float32Array, width: number, height: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let any = false;
      for (let dy = -6; dy <= 6; dy++) {
        for (let dx = -6; dx <= 6; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < height && xx >= 0 && xx < width && data[yy * width + xx]! > 0) any = true;
        }
      }
      out.push(any ? 1 : 0);
    }
  }
  return out;
}

describe('dilateMask (the reference notebook\'s prepare_mask)', () => {
  it('grows every repainted pixel into a 13×13 square and makes the mask binary', () => {
    const noise = new TorchGenerator(5).randn([3, 30, 40]).data;
    for (let trial = 0; trial < 3; trial++) {
      const data = new Float32Array(30 * 40);
      // Sparse fractional dots, some on the border.
      for (let i = 0; i < data.length; i++) data[i] = noise[trial * data.length + i]! > 2.2 ? Math.min(1, Math.abs(noise[i]!) / 3) : 0;
      data[0] = 0.25;
      const dilated = dilateMask(createImageMask(40, 30, data));
      expect(Array.from(dilated.data)).toEqual(squareDilation(data, 40, 30));
    }
  });

  it('keeps an empty mask empty and works on masks smaller than the kernel', () => {
    expect(Array.from(dilateMask(createImageMask(3, 2)).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(dilateMask(createImageMask(1, 1, Float32Array.of(0.5))).data)).toEqual([1]);
  });
});
