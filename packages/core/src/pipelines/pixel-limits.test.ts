import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import { createRgbImage } from '../image/rgb-image.js';
import { ModelFolder } from '../model/model-folder.js';
import { Kandinsky3 } from './kandinsky3.js';
import { DEFAULT_MAX_JOB_PIXELS, DEFAULT_MAX_PIXELS, checkPixelLimits } from './pixel-limits.js';
import { mockBackend, mockFiles, mockTokenizer } from './test-support/mock-kandinsky3.js';

async function pipeline() {
  const backend = mockBackend();
  const kandinsky = await Kandinsky3.create({ backend, folder: await ModelFolder.open(mockFiles('A')), tokenizer: mockTokenizer });
  return { backend, kandinsky };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KandinskyError);
  return (error as KandinskyError).code;
}

describe('pixel limits', () => {
  it('defaults to 1024² per image and 16 × 1024² per job', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(1_048_576);
    expect(DEFAULT_MAX_JOB_PIXELS).toBe(16_777_216);
    expect(() => checkPixelLimits(1024, 1024, 1)).not.toThrow();
    expect(() => checkPixelLimits(1152, 896, 1)).not.toThrow();
    expect(() => checkPixelLimits(1280, 768, 1)).not.toThrow();
    expect(() => checkPixelLimits(1024, 1024, 16)).not.toThrow();
  });

  it('refuses one pixel row over the limit, and names the size and limit', () => {
    let error: unknown;
    try {
      checkPixelLimits(99968, 64, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KandinskyError);
    const known = error as KandinskyError;
    expect(known.code).toBe('IMAGE_TOO_LARGE');
    expect(known.message).toContain('99968x64 is 6397952 pixels');
    expect(known.message).toContain('maxPixels 1048576');
    expect(known.details).toMatchObject({ pixels: 6_397_952, maxPixels: DEFAULT_MAX_PIXELS, tensorBytes: 6_397_952 * 12 + (6_397_952 / 64) * 16 });
    expect(() => checkPixelLimits(1024, 1088, 1)).toThrow(/maxPixels/);
    expect(() => checkPixelLimits(2048, 2048, 1)).toThrow(/maxPixels/);
    expect(() => checkPixelLimits(1024, 1024, 17)).toThrow(/17 images of 1024x1024 are 17825792 pixels, more than maxJobPixels/);
  });

  it('is raisable, and rejects limits that are not positive integers', () => {
    expect(() => checkPixelLimits(2048, 2048, 1, { maxPixels: 2048 * 2048 })).not.toThrow();
    expect(() => checkPixelLimits(1024, 1024, 17, { maxJobPixels: 17 * 2 ** 20 })).not.toThrow();
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '4096' as unknown as number]) {
      expect(() => checkPixelLimits(64, 64, 1, { maxPixels: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => checkPixelLimits(64, 64, 1, { maxJobPixels: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('refuses an oversized call of every pipeline before any model loads', async () => {
    const { backend, kandinsky } = await pipeline();
    const image = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3));
    expect(await codeOf(kandinsky.textToImage({ prompt: 'x', width: 99968, height: 64 }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(kandinsky.textToImage({ prompt: 'x', width: 1024, height: 1024, count: 17 }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(kandinsky.textToImage({ prompt: 'x', seeds: Array.from({ length: 17 }, (_, i) => i), width: 1024, height: 1024 }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(kandinsky.flash({ prompt: 'x', width: 4096, height: 4096 }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(kandinsky.imageToImage({ prompt: 'x', image, width: 8192, height: 8192 }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(kandinsky.textToImage({ prompt: 'x', width: 128, height: 128, maxPixels: 64 * 64 }))).toBe('IMAGE_TOO_LARGE');
    expect(backend.loads).toHaveLength(0);
    expect(backend.liveSessions).toBe(0);
    // Raised, the same size goes through to the models.
    const result = await kandinsky.textToImage({ prompt: 'x', width: 128, height: 64, steps: 1, maxPixels: 128 * 64 });
    expect(result.images[0]).toMatchObject({ width: 128, height: 64 });
    await kandinsky.dispose();
  });
});
