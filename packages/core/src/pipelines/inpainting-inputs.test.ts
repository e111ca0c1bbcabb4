import { describe, expect, it } from 'vitest';
import { createImageMask } from '../image/image-mask.js';
import { createRgbImage } from '../image/rgb-image.js';
import { inpaintingSize, prepareInpaintingInputs } from './inpainting-inputs.js';

describe('inpainting inputs (spec §4.5 steps 1–5)', () => {
  it('sizes like resize_image_for_diffusion: ≤ ~1 MP, sides floored to multiples of 64', () => {
    // r = √3: round(2048/√3) = 1182 → 1152, round(1536/√3) = 887 → 832.
    expect(inpaintingSize(2048, 1536)).toEqual({ width: 1152, height: 832 });
    expect(inpaintingSize(1024, 1024)).toEqual({ width: 1024, height: 1024 });
    expect(inpaintingSize(1000, 700)).toEqual({ width: 960, height: 640 });
    expect(inpaintingSize(96, 80)).toEqual({ width: 64, height: 64 });
    expect(() => inpaintingSize(63, 200)).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE', message: expect.stringContaining('63×200') }));
  });

  it('zeroes the image wherever keep is not exactly 1, fractional mask values included', () => {
    const image = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(255));
    const mask = createImageMask(64, 64);
    mask.data[0] = 1;
    mask.data[1] = 0.5;
    mask.data[2] = 1e-3;
    const inputs = prepareInpaintingInputs(image, mask);
    const plane = 64 * 64;
    for (const c of [0, 1, 2]) {
      expect(Array.from(inputs.maskedImage.data.subarray(c * plane, c * plane + 4))).toEqual([0, 0, 0, 1]);
    }
    expect(Array.from(inputs.keep.data.subarray(0, 4))).toEqual([0, 0.5, Math.fround(1 - 1e-3), 1]);
    // Nearest to 8×8 picks pixels 0, 8, …: latent pixel 0 sees keep 0.
    expect(inputs.latentMask.dims).toEqual([1, 1, 8, 8]);
    expect(inputs.latentMask.data[0]).toBe(0);
    expect(Array.from(inputs.latentMask.data.subarray(1)).every((v) => v === 1)).toBe(true);
  });
});
