import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRgbImage, extractGenerationMetadata } from '@kandinsky/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { KANDINSKY_XMP_NAMESPACE, writeImage } from './image-io.js';

// 16×8: a flat colour per half, so that a lossy format keeps every pixel within a few levels.
const image = createRgbImage(
  16,
  8,
  Uint8Array.from({ length: 16 * 8 * 3 }, (_, i) => (Math.floor(i / 3) % 16 < 8 ? [200, 40, 40] : [30, 60, 220])[i % 3]!),
);
const metadata = {
  prompt: 'a red "circle" & <ünïcode> 猫',
  negativePrompt: '',
  seed: 7,
  steps: 4,
  width: 16,
  height: 8,
  model: 'tiny',
  sampler: 'Flash',
  sdkVersion: 'kandinsky-ts 0.0.0',
};
const folder = mkdtempSync(join(tmpdir(), 'kandinsky-write-image-'));

/** The text of `<kandinsky:NAME>` in an XMP packet, XML entities decoded. */
function xmpField(xmp: string, name: string): string | undefined {
  const match = new RegExp(`<kandinsky:${name}>([^<]*)</kandinsky:${name}>`).exec(xmp);
  return match?.[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

describe('writeImage', () => {
  for (const [extension, format, magic] of [
    ['.jpg', 'jpeg', [0xff, 0xd8, 0xff]],
    ['.JPEG', 'jpeg', [0xff, 0xd8, 0xff]],
    ['.webp', 'webp', [0x52, 0x49, 0x46, 0x46]],
  ] as const) {
    it(`writes ${extension} as ${format}, with the metadata in XMP`, async () => {
      const path = join(folder, 'sub', `out${extension}`);
      await writeImage(path, image, metadata);
      const bytes = await readFile(path);
      expect(Array.from(bytes.subarray(0, magic.length))).toEqual(magic);
      // Decoded by sharp: the size, and each half's mean colour within 8 levels (chroma
      // subsampling blurs the edge between the halves, so single pixels there differ more).
      const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      expect([info.format, info.width, info.height, info.channels]).toEqual(['raw', 16, 8, 3]);
      for (const [half, colour] of [[0, [200, 40, 40]], [1, [30, 60, 220]]] as const) {
        for (let channel = 0; channel < 3; channel++) {
          let sum = 0;
          for (let y = 0; y < 8; y++) for (let x = half * 8; x < half * 8 + 8; x++) sum += data[(y * 16 + x) * 3 + channel]!;
          expect(Math.abs(sum / 64 - colour[channel]!)).toBeLessThanOrEqual(8);
        }
      }
      const read = await sharp(bytes).metadata();
      expect(read.format).toBe(format);
      const xmp = read.xmp!.toString('utf8');
      expect(xmp).toContain(`xmlns:kandinsky="${KANDINSKY_XMP_NAMESPACE}"`);
      expect(JSON.parse(xmpField(xmp, 'kandinsky')!)).toEqual(metadata);
      // The readable text keeps the empty negative prompt's line (spec §4.1: "" is not "none").
      expect(xmpField(xmp, 'parameters')).toBe(
        'a red "circle" & <ünïcode> 猫\nNegative prompt: \nSteps: 4, Sampler: Flash, Seed: 7, Size: 16x8, Model: tiny, Version: kandinsky-ts 0.0.0',
      );
    });
  }

  it('writes .png as writePng does (iTXt chunks), losslessly', async () => {
    const path = join(folder, 'out.png');
    await writeImage(path, image, metadata);
    const bytes = new Uint8Array(await readFile(path));
    expect(extractGenerationMetadata(bytes)).toEqual(metadata);
    const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual(Array.from(image.data));
  });

  it('writes no XMP without metadata', async () => {
    const path = join(folder, 'plain.webp');
    await writeImage(path, image);
    expect((await sharp(await readFile(path)).metadata()).xmp).toBeUndefined();
  });

  it('uses the quality: a lower one makes a smaller JPEG', async () => {
    const noisy = createRgbImage(64, 64, Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251));
    await writeImage(join(folder, 'q30.jpg'), noisy, undefined, { quality: 30 });
    await writeImage(join(folder, 'q95.jpg'), noisy, undefined, { quality: 95 });
    expect((await readFile(join(folder, 'q30.jpg'))).length).toBeLessThan((await readFile(join(folder, 'q95.jpg'))).length);
  });

  it.each([
    ['a .gif name', join(folder, 'x.gif'), undefined, 'INVALID_ARGUMENT', /x\.gif/],
    ['no extension', join(folder, 'x'), undefined, 'INVALID_ARGUMENT', /\.png, \.jpg, \.jpeg or \.webp/],
    ['quality 0', join(folder, 'x.jpg'), { quality: 0 }, 'INVALID_ARGUMENT', /quality/],
    ['quality 9.5', join(folder, 'x.jpg'), { quality: 9.5 }, 'INVALID_ARGUMENT', /quality/],
    ['options null', join(folder, 'x.jpg'), null, 'INVALID_ARGUMENT', /options/],
  ])('refuses %s with a typed error and writes nothing', async (_, path, options, code, message) => {
    await expect(writeImage(path, image, undefined, options as never)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
