import { describe, expect, it } from 'vitest';
import { rectangleMask } from './inpainting-mask.js';
import { pasteBack } from './paste-back.js';
import { createRgbImage } from './rgb-image.js';

const original = createRgbImage(20, 10, new Uint8Array(20 * 10 * 3).fill(10));
const generated = createRgbImage(20, 10, new Uint8Array(20 * 10 * 3).fill(250));
const mask = rectangleMask(20, 10, { x: 8, y: 3, width: 4, height: 4 });

describe('pasteBack', () => {
  it('with feather 0 takes generated pixels exactly where the mask is 1', () => {
    const out = pasteBack(original, generated, mask, { feather: 0 });
    for (let i = 0; i < 200; i++) expect(out.data[i * 3]).toBe(mask.data[i] === 1 ? 250 : 10);
  });

  it('feathers over 2·feather pixels and restores everything farther away', () => {
    const out = pasteBack(original, generated, mask, { feather: 2 });
    const at = (x: number, y: number) => out.data[(y * 20 + x) * 3]!;
    expect(at(9, 4)).toBe(250); // inside the mask
    expect(at(8, 3)).toBe(250); // mask corner: grown by 2 first, so still fully generated
    expect(at(3, 5)).toBe(10); // 5 px left of the mask: beyond 2·2
    expect(at(6, 5)).toBeGreaterThan(10); // 2 px left: in the fade
    expect(at(6, 5)).toBeLessThan(250);
  });

  it('resizes a generated image of the working size to the original size', () => {
    const small = createRgbImage(16, 8, new Uint8Array(16 * 8 * 3).fill(250));
    const out = pasteBack(original, small, mask, { feather: 2 });
    expect(out).toMatchObject({ width: 20, height: 10 });
    expect(out.data[(5 * 20 + 10) * 3]).toBe(250);
    expect(out.data[0]).toBe(10);
  });

  it('rejects a mask of another size and a bad feather', () => {
    expect(() => pasteBack(original, generated, rectangleMask(10, 10, { x: 0, y: 0, width: 2, height: 2 }))).toThrow(
      expect.objectContaining({ code: 'SHAPE_MISMATCH' }),
    );
    expect(() => pasteBack(original, generated, mask, { feather: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
