import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { assertRgbImage, createRgbImage } from './rgb-image.js';

describe('createRgbImage', () => {
  it('allocates a black image of width·height·3 bytes', () => {
    const image = createRgbImage(5, 3);
    expect(image.width).toBe(5);
    expect(image.height).toBe(3);
    expect(image.data.length).toBe(45);
    expect(image.data.every((v) => v === 0)).toBe(true);
  });

  it('wraps a given buffer without copying', () => {
    const data = new Uint8Array(2 * 2 * 3).map((_, i) => i);
    expect(createRgbImage(2, 2, data).data).toBe(data);
  });

  it.each([0, -4, 2.5, Number.NaN])('rejects width %s, naming it', (width) => {
    const error = thrown(() => createRgbImage(width, 4));
    expect(error.code).toBe('INVALID_IMAGE');
    expect(error.message).toContain(`width ${String(width)}`);
  });

  it('rejects a bad height, naming it', () => {
    const error = thrown(() => createRgbImage(4, -1));
    expect(error.code).toBe('INVALID_IMAGE');
    expect(error.message).toContain('height -1');
  });

  it('rejects a buffer of the wrong length, naming both lengths', () => {
    const error = thrown(() => createRgbImage(4, 3, new Uint8Array(35)));
    expect(error.code).toBe('INVALID_IMAGE');
    expect(error.message).toContain('35 bytes');
    expect(error.message).toContain('4×3');
    expect(error.message).toContain('36');
  });

  it('recognises an RGBA buffer and says so in the hint', () => {
    const error = thrown(() => createRgbImage(4, 3, new Uint8Array(48)));
    expect(error.code).toBe('INVALID_IMAGE');
    expect(error.hint).toContain('RGBA');
  });

  it('rejects Uint8ClampedArray and plain arrays, naming the type', () => {
    const clamped = thrown(() => createRgbImage(1, 1, new Uint8ClampedArray(3) as unknown as Uint8Array));
    expect(clamped.code).toBe('INVALID_IMAGE');
    expect(clamped.message).toContain('Uint8ClampedArray');
    const plain = thrown(() => createRgbImage(1, 1, [1, 2, 3] as unknown as Uint8Array));
    expect(plain.message).toContain('Array');
  });
});

describe('assertRgbImage', () => {
  it('accepts a well-formed image and rejects a malformed one', () => {
    expect(() => assertRgbImage(createRgbImage(3, 2))).not.toThrow();
    const error = thrown(() =>
      assertRgbImage({ width: 3, height: 2, data: new Uint8Array(17) }, 'init image'),
    );
    expect(error.code).toBe('INVALID_IMAGE');
    expect(error.message).toContain('init image');
    expect(error.message).toContain('17 bytes');
    expect(thrown(() => assertRgbImage(null as never)).message).toContain('null');
  });
});
