import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRgbImage, extractGenerationMetadata, readPngText } from '@kandinsky/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng, readImage, writePng } from './image-io.js';

/** 2×1 image: red, blue. */
const redBlue = createRgbImage(2, 1, Uint8Array.of(255, 0, 0, 0, 0, 255));

describe('image I/O', () => {
  it('round-trips pixels through PNG exactly', async () => {
    const image = createRgbImage(5, 3, Uint8Array.from({ length: 45 }, (_, i) => (i * 37) % 256));
    const back = await readImage(await encodePng(image));
    expect(back.width).toBe(5);
    expect(back.height).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(image.data));
  });

  it('applies EXIF orientation', async () => {
    // Orientation 6 = "rotate 90° clockwise to display": a 2×1 stored image displays as 1×2.
    const rotated = await sharp(Buffer.from(redBlue.data), { raw: { width: 2, height: 1, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const upright = await readImage(new Uint8Array(rotated));
    expect([upright.width, upright.height]).toEqual([1, 2]);
    expect(Array.from(upright.data)).toEqual([255, 0, 0, 0, 0, 255]);
  });

  it('flattens alpha onto the background colour', async () => {
    const rgba = await sharp(Buffer.from([0, 0, 0, 0, 10, 20, 30, 255]), { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    expect(Array.from((await readImage(new Uint8Array(rgba))).data)).toEqual([255, 255, 255, 10, 20, 30]);
    expect(Array.from((await readImage(new Uint8Array(rgba), { background: '#000000' })).data)).toEqual([
      0, 0, 0, 10, 20, 30,
    ]);
  });

  it('writes metadata that round-trips and that sharp still decodes', async () => {
    const metadata = {
      prompt: 'a red circle',
      seed: 7,
      steps: 4,
      width: 2,
      height: 1,
      model: 'tiny',
      sampler: 'Flash',
      sdkVersion: 'kandinsky-ts 0.0.0',
    };
    const path = join(mkdtempSync(join(tmpdir(), 'kandinsky-io-')), 'sub', 'out.png');
    await writePng(path, redBlue, metadata);
    const bytes = new Uint8Array(await readFile(path));
    expect(extractGenerationMetadata(bytes)).toEqual(metadata);
    expect(readPngText(bytes).map((entry) => entry.keyword)).toEqual(['parameters', 'kandinsky']);
    expect(Array.from((await readImage(bytes)).data)).toEqual(Array.from(redBlue.data));
  });

  it('reports unreadable input as INVALID_IMAGE naming it', async () => {
    await expect(readImage('/nonexistent/cat.png')).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
      message: expect.stringContaining('/nonexistent/cat.png'),
    });
    await expect(readImage(Uint8Array.of(1, 2, 3))).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
      message: expect.stringContaining('<3 bytes>'),
    });
  });
});
