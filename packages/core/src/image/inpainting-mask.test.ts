import { describe, expect, it } from 'vitest';
import { createImageMask } from './image-mask.js';
import { maskFromAlpha, maskFromImage, rectangleMask, toInpaintingMask } from './inpainting-mask.js';
import { createRgbImage } from './rgb-image.js';

describe('inpainting masks (1 = repaint, 0 = keep, spec §4.5)', () => {
  it('draws a rectangle, cut to the mask', () => {
    const mask = rectangleMask(4, 3, { x: 2, y: -1, width: 5, height: 2 });
    expect(Array.from(mask.data)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => rectangleMask(4, 3, { x: 4, y: 0, width: 2, height: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => rectangleMask(4, 3, { x: 0, y: 0, width: 0, height: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => rectangleMask(4, 3, { x: 0.5, y: 0, width: 1, height: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it("reads a mask image's grey level as Pillow's convert('L') does", () => {
    // Pillow: Image.new('RGB', (1, 1), c).convert('L').getpixel((0, 0)) → 76, 150, 29, 255, 0.
    const image = createRgbImage(5, 1, Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0));
    expect(Array.from(maskFromImage(image).data)).toEqual([76, 150, 29, 255, 0].map((v) => Math.fround(v / 255)));
  });

  it('takes transparency as the region to repaint', () => {
    expect(Array.from(maskFromAlpha(Uint8Array.of(0, 255, 51), 3, 1).data)).toEqual([1, 0, Math.fround(204 / 255)]);
    expect(() => maskFromAlpha(Uint8Array.of(0, 255), 3, 1)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
  });

  it('accepts planes, masks and mask images of the image size only', () => {
    expect(Array.from(toInpaintingMask(Uint8Array.of(0, 255, 51, 0), 2, 2).data)).toEqual([0, 1, Math.fround(0.2), 0]);
    expect(toInpaintingMask(Float32Array.of(0, 1, 0.5, 0), 2, 2).data[2]).toBe(0.5);
    expect(toInpaintingMask(createImageMask(2, 2), 2, 2).width).toBe(2);
    expect(() => toInpaintingMask(createImageMask(3, 2), 2, 2)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => toInpaintingMask(createRgbImage(2, 3), 2, 2)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => toInpaintingMask(Float32Array.of(0, 1, Number.NaN, 0), 2, 2)).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE' }));
    expect(() => toInpaintingMask([0, 1, 0, 1] as never, 2, 2)).toThrow(expect.objectContaining({ code: 'INVALID_IMAGE' }));
  });
});
