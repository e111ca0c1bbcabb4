import { describe, expect, it } from 'vitest';
import { clipResizeSize, prepareClipPixelValues } from './clip-preprocess.js';
import { resizeLikePillow } from './pillow-resize.js';
import { createRgbImage } from './rgb-image.js';
import {
  countMismatches,
  decodeFloat32,
  decodeUint8,
  imageFixture,
  maxAbsDifference,
} from './test-support/image-fixture.js';
import { thrown } from '../test-support/thrown.js';

describe('prepareClipPixelValues matches the CLIPImageProcessor recipe (spec §2.7)', () => {
  for (const testCase of imageFixture.clip) {
    const image = createRgbImage(testCase.width, testCase.height, decodeUint8(testCase.input));
    it(`${testCase.width}×${testCase.height}, size ${testCase.size}`, () => {
      const resizedSize = clipResizeSize(testCase.width, testCase.height, testCase.size);
      expect(resizedSize).toEqual({ width: testCase.resizedWidth, height: testCase.resizedHeight });
      const resized = resizeLikePillow(image, { ...resizedSize, filter: 'bicubic' });
      expect(countMismatches(resized.data, decodeUint8(testCase.resized))).toBe(0);
      const pixelValues = prepareClipPixelValues(image, { size: testCase.size });
      expect(pixelValues.dims).toEqual([1, 3, testCase.size, testCase.size]);
      expect(maxAbsDifference(pixelValues.data, decodeFloat32(testCase.pixelValues))).toBeLessThanOrEqual(1e-6);
    });
  }

  it('batches images of different sizes', () => {
    const [a, b] = imageFixture.clip.filter((c: { size: number }) => c.size === imageFixture.clip[0].size);
    expect([a.width, a.height]).not.toEqual([b.width, b.height]);
    const images = [a, b].map((c) => createRgbImage(c.width, c.height, decodeUint8(c.input)));
    const batch = prepareClipPixelValues(images, { size: a.size });
    expect(batch.dims).toEqual([2, 3, a.size, a.size]);
    const plane = 3 * a.size * a.size;
    expect(maxAbsDifference(batch.data.subarray(0, plane), decodeFloat32(a.pixelValues))).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDifference(batch.data.subarray(plane), decodeFloat32(b.pixelValues))).toBeLessThanOrEqual(1e-6);
  });

  it('defaults to 224 and rejects a bad size', () => {
    expect(prepareClipPixelValues(createRgbImage(300, 200)).dims).toEqual([1, 3, 224, 224]);
    const error = thrown(() => prepareClipPixelValues(createRgbImage(3, 3), { size: 0 }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('size 0');
  });
});
