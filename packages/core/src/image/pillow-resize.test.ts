import { describe, expect, it } from 'vitest';
import { createImageMask } from './image-mask.js';
import { resizeLikePillow, type PillowFilter } from './pillow-resize.js';
import { createRgbImage } from './rgb-image.js';
import {
  countMismatches,
  decodeFloat32,
  decodeUint8,
  imageFixture,
  maxAbsDifference,
} from './test-support/image-fixture.js';
import { thrown } from '../test-support/thrown.js';

describe('resizeLikePillow matches Pillow 9.4 Image.resize', () => {
  for (const testCase of imageFixture.pillow) {
    const image = createRgbImage(testCase.width, testCase.height, decodeUint8(testCase.input));
    for (const [filter, encoded] of Object.entries(testCase.outputs as Record<string, string>)) {
      it(`uint8 RGB ${filter} ${testCase.width}×${testCase.height} → ${testCase.outWidth}×${testCase.outHeight}: 0 mismatched bytes`, () => {
        const output = resizeLikePillow(image, {
          width: testCase.outWidth,
          height: testCase.outHeight,
          filter: filter as PillowFilter,
        });
        expect([output.width, output.height]).toEqual([testCase.outWidth, testCase.outHeight]);
        expect(countMismatches(output.data, decodeUint8(encoded))).toBe(0);
      });
    }
  }

  for (const testCase of imageFixture.pillowFloat) {
    const input = {
      dtype: 'float32' as const,
      dims: [1, 1, testCase.height, testCase.width],
      data: decodeFloat32(testCase.input),
    };
    for (const [filter, encoded] of Object.entries(testCase.outputs as Record<string, string>)) {
      it(`float "F" ${filter} ${testCase.width}×${testCase.height} → ${testCase.outWidth}×${testCase.outHeight}`, () => {
        const output = resizeLikePillow(input, {
          width: testCase.outWidth,
          height: testCase.outHeight,
          filter: filter as PillowFilter,
        });
        expect(output.dims).toEqual([1, 1, testCase.outHeight, testCase.outWidth]);
        expect(maxAbsDifference(output.data, decodeFloat32(encoded))).toBeLessThanOrEqual(1e-7);
      });
    }
  }
});

describe('resizeLikePillow behaviour', () => {
  it("defaults to 'bicubic'", () => {
    const testCase = imageFixture.pillow[0];
    const image = createRgbImage(testCase.width, testCase.height, decodeUint8(testCase.input));
    const output = resizeLikePillow(image, { width: testCase.outWidth, height: testCase.outHeight });
    expect(countMismatches(output.data, decodeUint8(testCase.outputs.bicubic))).toBe(0);
  });

  it('resizes every plane of a batched tensor independently', () => {
    const plane = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const data = new Float32Array(24);
    data.set(plane, 0);
    data.set(plane.map((v) => 2 * v), 12);
    const output = resizeLikePillow({ dtype: 'float32', dims: [2, 1, 3, 4], data }, { width: 5, height: 2 });
    const half = output.data.length / 2;
    for (let i = 0; i < half; i++) expect(output.data[half + i]).toBeCloseTo(2 * output.data[i]!, 6);
  });

  it('clamps masks to [0, 1] after an overshooting filter', () => {
    const mask = createImageMask(4, 1, Float32Array.from([0, 0, 1, 1]));
    const output = resizeLikePillow(mask, { width: 13, height: 1, filter: 'lanczos' });
    expect(Math.min(...output.data)).toBe(0);
    expect(Math.max(...output.data)).toBe(1);
  });

  it('rejects bad sizes and filters, naming them', () => {
    const image = createRgbImage(2, 2);
    const size = thrown(() => resizeLikePillow(image, { width: 3, height: 0 }));
    expect(size.code).toBe('INVALID_ARGUMENT');
    expect(size.message).toContain('height 0');
    const filter = thrown(() => resizeLikePillow(image, { width: 3, height: 3, filter: 'nearest' as never }));
    expect(filter.code).toBe('INVALID_ARGUMENT');
    expect(filter.message).toContain('"nearest"');
    const missing = thrown(() => resizeLikePillow(image, undefined as never));
    expect(missing.code).toBe('INVALID_ARGUMENT');
  });
});
