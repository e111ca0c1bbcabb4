import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readAlphaMask } from './alpha-mask.js';
import { readImage } from './image-io.js';

async function png(channels: 1 | 2 | 3 | 4, pixels: number[], width: number, height: number, depth?: '16'): Promise<Uint8Array> {
  let image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (depth) image = image.toColourspace(channels <= 2 ? 'grey16' : 'rgb16');
  return new Uint8Array(await image.png().toBuffer());
}

describe('readAlphaMask', () => {
  it('repaints transparent pixels, keeps opaque ones, and lines up with readImage', async () => {
    // 3×1 RGBA: transparent, opaque, 20 % opaque.
    const bytes = await png(4, [255, 0, 0, 0, 0, 255, 0, 255, 0, 0, 255, 51], 3, 1);
    const mask = await readAlphaMask(bytes);
    expect(mask).toMatchObject({ width: 3, height: 1 });
    expect(Array.from(mask.data)).toEqual([1, 0, Math.fround(204 / 255)]);
    const image = await readImage(bytes);
    expect([image.width, image.height]).toEqual([3, 1]);
  });

  it('reads grey + alpha and 16-bit images', async () => {
    const grey = await readAlphaMask(await png(2, [10, 0, 20, 255], 2, 1));
    expect(Array.from(grey.data)).toEqual([1, 0]);
    const deep = await readAlphaMask(await png(4, [1, 2, 3, 0, 1, 2, 3, 255], 2, 1, '16'));
    expect(Array.from(deep.data)).toEqual([1, 0]);
  });

  it('refuses an image without alpha, and a file that is not an image', async () => {
    await expect(readAlphaMask(await png(3, [1, 2, 3], 1, 1))).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringContaining('no alpha channel') });
    await expect(readAlphaMask(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
    await expect(readAlphaMask('/nonexistent.png')).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
  });
});
