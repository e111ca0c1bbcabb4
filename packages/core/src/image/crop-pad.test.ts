import { describe, expect, it } from 'vitest';
import { centerCrop, crop, pad, type PaddingMode } from './crop-pad.js';
import { createImageMask } from './image-mask.js';
import { createRgbImage } from './rgb-image.js';
import { countMismatches, decodeFloat32, imageFixture } from './test-support/image-fixture.js';
import { thrown } from '../test-support/thrown.js';

/** [1, 1, H, W] tensor holding 10·y + x, so every output names its source. */
function grid(width: number, height: number) {
  const data = Float32Array.from({ length: width * height }, (_, i) => 10 * Math.floor(i / width) + (i % width));
  return { dtype: 'float32' as const, dims: [1, 1, height, width], data };
}

describe('crop', () => {
  it('cuts the rectangle out of a tensor', () => {
    const output = crop(grid(5, 4), { left: 1, top: 2, width: 3, height: 2 });
    expect(output.dims).toEqual([1, 1, 2, 3]);
    expect(Array.from(output.data)).toEqual([21, 22, 23, 31, 32, 33]);
  });

  it('cuts whole RGB pixels out of an interleaved image', () => {
    const image = createRgbImage(3, 2, Uint8Array.from({ length: 18 }, (_, i) => i));
    const output = crop(image, { left: 1, top: 1, width: 2, height: 1 });
    expect([output.width, output.height]).toEqual([2, 1]);
    expect(Array.from(output.data)).toEqual([12, 13, 14, 15, 16, 17]);
  });

  it.each([
    [{ left: 3, top: 0, width: 3, height: 1 }],
    [{ left: -1, top: 0, width: 2, height: 1 }],
    [{ left: 0, top: 0, width: 0, height: 1 }],
    [{ left: 0, top: 2, width: 1, height: 3 }],
    [{ left: 0.5, top: 0, width: 1, height: 1 }],
  ])('rejects %j outside a 5×4 input, naming it', (rectangle) => {
    const error = thrown(() => crop(grid(5, 4), rectangle));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(JSON.stringify(rectangle));
    expect(error.message).toContain('5×4');
  });
});

describe('centerCrop', () => {
  it('puts the odd surplus pixel on the bottom/right (transformers’ floor)', () => {
    // 5 wide → 2: left = ⌊3/2⌋ = 1; 4 high → 1: top = ⌊3/2⌋ = 1.
    const output = centerCrop(grid(5, 4), { width: 2, height: 1 });
    expect(Array.from(output.data)).toEqual([11, 12]);
  });

  it('works on masks and rejects crops larger than the input', () => {
    const mask = createImageMask(3, 3, Float32Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]));
    expect(Array.from(centerCrop(mask, { width: 1, height: 1 }).data)).toEqual([1]);
    const error = thrown(() => centerCrop(mask, { width: 4, height: 1 }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('4×1');
  });
});

describe('pad matches torch.nn.functional.pad', () => {
  const { dims, input, cases } = imageFixture.pad;
  const tensor = { dtype: 'float32' as const, dims, data: decodeFloat32(input) };
  for (const { left, right, top, bottom, outputs } of cases) {
    for (const [mode, encoded] of Object.entries(outputs as Record<string, string>)) {
      it(`${mode} (${left}, ${right}, ${top}, ${bottom})`, () => {
        const output = pad(tensor, {
          left,
          right,
          top,
          bottom,
          mode: mode as PaddingMode,
          value: mode === 'constant' ? 0.25 : 0,
        });
        expect(output.dims).toEqual([dims[0], dims[1], dims[2] + top + bottom, dims[3] + left + right]);
        expect(countMismatches(output.data, decodeFloat32(encoded))).toBe(0);
      });
    }
  }
});

describe('pad on images and bad input', () => {
  it('replicates edge pixels of an RGB image and fills a constant', () => {
    const image = createRgbImage(2, 1, Uint8Array.from([1, 2, 3, 4, 5, 6]));
    expect(Array.from(pad(image, { right: 1, mode: 'replicate' }).data)).toEqual([1, 2, 3, 4, 5, 6, 4, 5, 6]);
    expect(Array.from(pad(image, { left: 1, value: 9 }).data)).toEqual([9, 9, 9, 1, 2, 3, 4, 5, 6]);
  });

  it('rejects bad paddings, modes and fill values, naming them', () => {
    const image = createRgbImage(3, 2);
    const negative = thrown(() => pad(image, { top: -1 }));
    expect(negative.code).toBe('INVALID_ARGUMENT');
    expect(negative.message).toContain('top padding -1');
    const reflect = thrown(() => pad(image, { bottom: 2, mode: 'reflect' }));
    expect(reflect.code).toBe('INVALID_ARGUMENT');
    expect(reflect.message).toContain('"bottom":2');
    const mode = thrown(() => pad(image, { left: 1, mode: 'circular' as never }));
    expect(mode.message).toContain('"circular"');
    const value = thrown(() => pad(image, { left: 1, value: 256 }));
    expect(value.message).toContain('256');
    const maskValue = thrown(() => pad(createImageMask(1, 1), { left: 1, value: -1 }));
    expect(maskValue.message).toContain('-1');
  });
});
