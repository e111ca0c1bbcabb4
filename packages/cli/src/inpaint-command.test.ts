import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRgbImage, extractGenerationMetadata } from '@kandinsky/core';
import { encodePng, loadKandinsky3, readImage } from '@kandinsky/node';
import sharp from 'sharp';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandinsky3: vi.fn(actual.loadKandinsky3) };
});

function io(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

const missingModel = '/nonexistent/model';
const ipAdapterModel = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny-ip-adapter');

/** A white 96×80 scene with a green square, its mask (white over the square) and an RGBA cut-out. */
async function files(): Promise<{ folder: string; image: string; mask: string; cutout: string; smallMask: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'kandinsky-inpaint-'));
  const pixels = new Uint8Array(96 * 80 * 3).fill(245);
  const maskPixels = new Uint8Array(96 * 80 * 3);
  const rgba = new Uint8Array(96 * 80 * 4);
  for (let y = 0; y < 80; y++) {
    for (let x = 0; x < 96; x++) {
      const i = y * 96 + x;
      const square = x >= 20 && x < 44 && y >= 20 && y < 44;
      if (square) pixels.set([40, 180, 70], i * 3);
      if (x >= 16 && x < 48 && y >= 16 && y < 48) maskPixels.fill(255, i * 3, i * 3 + 3);
      rgba.set([...pixels.subarray(i * 3, i * 3 + 3), maskPixels[i * 3] === 255 ? 0 : 255], i * 4);
    }
  }
  const paths = {
    folder,
    image: join(folder, 'image.png'),
    mask: join(folder, 'mask.png'),
    cutout: join(folder, 'cutout.png'),
    smallMask: join(folder, 'small-mask.png'),
  };
  writeFileSync(paths.image, await encodePng(createRgbImage(96, 80, pixels)));
  writeFileSync(paths.mask, await encodePng(createRgbImage(96, 80, maskPixels)));
  writeFileSync(paths.smallMask, await encodePng(createRgbImage(64, 64)));
  writeFileSync(paths.cutout, await sharp(Buffer.from(rgba), { raw: { width: 96, height: 80, channels: 4 } }).png().toBuffer());
  return paths;
}

beforeEach(() => {
  vi.mocked(loadKandinsky3).mockClear();
});

describe('kandinsky inpaint', () => {
  it('is documented in the main help and its own', async () => {
    const main_ = io();
    expect(await main(['--help'], main_)).toBe(0);
    expect(main_.out()).toContain('kandinsky inpaint IMAGE MASK "PROMPT"');
    const own = io();
    expect(await main(['inpaint', '--help'], own)).toBe(0);
    for (const option of ['--alpha', '--paste-back', '--dilate-mask', '--steps', '--seed', '--out']) expect(own.out()).toContain(option);
    expect(loadKandinsky3).not.toHaveBeenCalled();
  });

  it('repaints on the bundled model and writes the parameters into the PNG', async () => {
    const paths = await files();
    const out = join(paths.folder, 'out.png');
    const streams = io();
    const code = await main(
      ['inpaint', paths.image, paths.mask, 'a red square on a white background', '--seed', '4', '--steps', '20', '--out', out, '--device', 'cpu'],
      streams,
    );
    expect(code, streams.err()).toBe(0);
    expect(streams.out()).toContain(`wrote ${out}`);
    const result = await readImage(out);
    expect([result.width, result.height]).toEqual([64, 64]);
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(out)));
    expect(metadata).toMatchObject({ mode: 'inpainting', prompt: 'a red square on a white background', seed: 4, steps: 20, guidanceScale: 4 });
  });

  it('takes the mask from the alpha channel with --alpha and pastes back at the input size', async () => {
    const paths = await files();
    const out = join(paths.folder, 'alpha.png');
    const streams = io();
    const code = await main(['inpaint', paths.cutout, 'a red square on a white background', '--alpha', '--paste-back', '--seed', '1', '--steps', '10', '--out', out, '--quiet'], streams);
    expect(code, streams.err()).toBe(0);
    const result = await readImage(out);
    expect([result.width, result.height]).toEqual([96, 80]);
    // Far from the mask the input's white comes back exactly.
    expect(Array.from(result.data.subarray(((79 * 96) + 95) * 3, ((79 * 96) + 95) * 3 + 3))).toEqual([245, 245, 245]);
  });

  it('exits 2 on bad input, naming it, before loading a model', async () => {
    const paths = await files();
    const cases: [string[], RegExp][] = [
      [['inpaint', paths.image, 'a red square'], /inpaint takes an image, a mask and a prompt, got 2 arguments/],
      [['inpaint', paths.image, paths.mask, 'a', '--alpha'], /inpaint takes an image and a prompt with --alpha, got 3 arguments/],
      [['inpaint', paths.image, paths.smallMask, 'a'], /The mask is 64×64 but the image is 96×80/],
      [['inpaint', paths.image, join(paths.folder, 'none.png'), 'a'], /Cannot read the image file/],
      [['inpaint', paths.image, paths.image.replace('image.png', 'image.txt'), 'a'], /Cannot decode the image/],
      [['inpaint', paths.image, 'a', '--alpha'], /has no alpha channel/],
      [['inpaint', paths.image, paths.mask, 'a', '--size', '64'], /--size applies to kandinsky generate only, not inpaint/],
      [['inpaint', paths.image, paths.mask, 'a', '--strength', '0.5'], /--strength applies to kandinsky img2img only, not inpaint/],
      [['inpaint', paths.image, paths.mask, 'a', '--steps', '0'], /--steps must be a whole number from 1 to 1000/],
    ];
    writeFileSync(paths.image.replace('image.png', 'image.txt'), 'not an image');
    for (const [argv, message] of cases) {
      const streams = io();
      const withModel = [argv[0]!, '--model', missingModel, ...argv.slice(1)];
      expect(await main(withModel, streams), withModel.join(' ')).toBe(2);
      expect(streams.err(), withModel.join(' ')).toMatch(message);
      expect(streams.err()).toMatch(/^hint: /m);
    }
    expect(loadKandinsky3).not.toHaveBeenCalled();
  });

  it('refuses a folder of another variant (exit 2)', async () => {
    const paths = await files();
    const streams = io();
    expect(await main(['inpaint', paths.image, paths.mask, 'a', '--model', ipAdapterModel, '--quiet', '--out', paths.folder], streams)).toBe(2);
    expect(streams.err()).toMatch(/^error: .*convention/m);
  });
});
