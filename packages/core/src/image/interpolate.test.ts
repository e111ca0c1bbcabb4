import { describe, expect, it } from 'vitest';
import { createImageMask } from './image-mask.js';
import { interpolate, type InterpolationMode } from './interpolate.js';
import { createRgbImage } from './rgb-image.js';
import {
  countMismatches,
  decodeFloat32,
  imageFixture,
  maxAbsDifference,
} from './test-support/image-fixture.js';
import { thrown } from '../test-support/thrown.js';

// Measured against torch 1.13 CPU: bilinear ≤ 1.2e-7, bicubic ≤ 1.1e-6 (max abs, values in [−1, 1]).
const TOLERANCE: Record<string, number> = { bilinear: 5e-7, bicubic: 3e-6 };

describe('interpolate matches torch.nn.functional.interpolate (torch 1.13)', () => {
  for (const testCase of imageFixture.interpolate) {
    const input = { dtype: 'float32' as const, dims: testCase.dims, data: decodeFloat32(testCase.input) };
    for (const [key, encoded] of Object.entries(testCase.outputs as Record<string, string>)) {
      const [mode, align] = key.split('-') as [InterpolationMode, string];
      const alignCorners = align === 'align';
      it(`${mode} align_corners=${alignCorners} ${testCase.dims.join('×')} → ${testCase.height}×${testCase.width}`, () => {
        const output = interpolate(input, { width: testCase.width, height: testCase.height, mode, alignCorners });
        expect(output.dims).toEqual([...testCase.dims.slice(0, 2), testCase.height, testCase.width]);
        expect(maxAbsDifference(output.data, decodeFloat32(encoded))).toBeLessThanOrEqual(TOLERANCE[mode]!);
      });
    }
  }

  it('nearest picks exactly torch’s source indices (float32 floorf(o·in/out), 2× shortcut)', () => {
    for (const { in: inputSize, out: outputSize, indices } of imageFixture.nearest) {
      const ramp = Float32Array.from({ length: inputSize }, (_, i) => i);
      const output = interpolate(
        { dtype: 'float32', dims: [1, 1, 1, inputSize], data: ramp },
        { width: outputSize, height: 1, mode: 'nearest' },
      );
      expect(countMismatches(output.data, indices), `${inputSize} → ${outputSize}`).toBe(0);
    }
  });

  it('nearest on a batched NCHW tensor, both axes', () => {
    const { dims, height, width, input, output } = imageFixture.nearest2d;
    const result = interpolate({ dtype: 'float32', dims, data: decodeFloat32(input) }, { width, height, mode: 'nearest' });
    expect(countMismatches(result.data, decodeFloat32(output))).toBe(0);
  });
});

describe('interpolate on images and masks', () => {
  it('bilinear (half-pixel centres, clamped at 0) on an RGB image, rounded', () => {
    // Two pixels 0 and 255 stretched to 4: sources −0.25→0, 0.25, 0.75, 1.25→edge.
    const image = createRgbImage(2, 1, Uint8Array.from([0, 0, 0, 255, 255, 255]));
    const output = interpolate(image, { width: 4, height: 1, mode: 'bilinear' });
    expect(Array.from(output.data.filter((_, i) => i % 3 === 0))).toEqual([0, 64, 191, 255]);
    const corners = interpolate(image, { width: 4, height: 1, mode: 'bilinear', alignCorners: true });
    expect(Array.from(corners.data.filter((_, i) => i % 3 === 0))).toEqual([0, 85, 170, 255]);
  });

  it('keeps a constant image constant (weights sum to 1) for every mode', () => {
    const image = createRgbImage(7, 5, new Uint8Array(105).fill(200));
    for (const mode of ['bilinear', 'bicubic', 'nearest'] as const) {
      const output = interpolate(image, { width: 11, height: 3, mode });
      expect(output.data.every((v) => v === 200)).toBe(true);
    }
  });

  it('channels of an interleaved RGB image do not mix', () => {
    const data = new Uint8Array(5 * 4 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([10, 120, 250], i);
    const output = interpolate(createRgbImage(5, 4, data), { width: 9, height: 7, mode: 'bicubic' });
    for (let i = 0; i < output.data.length; i += 3) {
      expect([output.data[i], output.data[i + 1], output.data[i + 2]]).toEqual([10, 120, 250]);
    }
  });

  it('clamps a bicubic-resized mask to [0, 1]', () => {
    const mask = createImageMask(4, 1, Float32Array.from([0, 0, 1, 1]));
    const output = interpolate(mask, { width: 16, height: 1, mode: 'bicubic' });
    expect(Math.min(...output.data)).toBe(0);
    expect(Math.max(...output.data)).toBe(1);
    expect([output.width, output.height]).toEqual([16, 1]);
  });

  it('copies rather than aliases when the size does not change', () => {
    const input = { dtype: 'float32' as const, dims: [1, 1, 2, 2], data: Float32Array.from([1, 2, 3, 4]) };
    const output = interpolate(input, { width: 2, height: 2, mode: 'bilinear' });
    expect(Array.from(output.data)).toEqual([1, 2, 3, 4]);
    expect(output.data).not.toBe(input.data);
  });
});

describe('interpolate rejects bad input', () => {
  const tensor = { dtype: 'float32' as const, dims: [1, 1, 2, 2], data: new Float32Array(4) };

  it.each([
    [0, 4, 'width 0'],
    [-3, 4, 'width -3'],
    [2.5, 4, 'width 2.5'],
    [4, Number.NaN, 'height NaN'],
  ])('target %s×%s', (width, height, named) => {
    const error = thrown(() => interpolate(tensor, { width, height, mode: 'bilinear' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(named);
  });

  it('unknown mode and alignCorners with nearest', () => {
    const mode = thrown(() => interpolate(tensor, { width: 2, height: 2, mode: 'area' as never }));
    expect(mode.code).toBe('INVALID_ARGUMENT');
    expect(mode.message).toContain('"area"');
    const align = thrown(() => interpolate(tensor, { width: 2, height: 2, mode: 'nearest', alignCorners: true }));
    expect(align.code).toBe('INVALID_ARGUMENT');
    expect(align.message).toContain('alignCorners true');
  });

  it('wrong dtype, rank or a malformed image', () => {
    const dtype = thrown(() =>
      interpolate({ dtype: 'uint8', dims: [2, 2], data: new Uint8Array(4) } as never, { width: 1, height: 1, mode: 'nearest' }),
    );
    expect(dtype.code).toBe('DTYPE_MISMATCH');
    const rank = thrown(() =>
      interpolate({ dtype: 'float32', dims: [4], data: new Float32Array(4) }, { width: 1, height: 1, mode: 'nearest' }),
    );
    expect(rank.code).toBe('SHAPE_MISMATCH');
    expect(rank.message).toContain('[4]');
    const image = thrown(() =>
      interpolate({ width: 2, height: 2, data: new Uint8Array(11) }, { width: 1, height: 1, mode: 'nearest' }),
    );
    expect(image.code).toBe('INVALID_IMAGE');
    expect(image.message).toContain('11 bytes');
  });
});
