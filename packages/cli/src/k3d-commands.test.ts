import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRgbImage, extractGenerationMetadata } from '@kandinsky/core';
import { loadControlNet, loadIpAdapter, readImage, writePng } from '@kandinsky/node';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// The real loaders, watched: a usage error must come before any model folder is opened.
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadIpAdapter: vi.fn(actual.loadIpAdapter), loadControlNet: vi.fn(actual.loadControlNet) };
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

/** A flat shape on white, as the tiny world draws them. */
function shape(colour: [number, number, number], square: boolean, size = 64) {
  const image = createRgbImage(size, size, new Uint8Array(size * size * 3).fill(245));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = square ? Math.abs(x + 0.5 - 32) <= 12 && Math.abs(y + 0.5 - 32) <= 12 : (x + 0.5 - 32) ** 2 + (y + 0.5 - 32) ** 2 <= 14 ** 2;
      if (inside) image.data.set(colour, 3 * (y * size + x));
    }
  }
  return image;
}

let folder: string;
let red: string;
let blue: string;
let odd: string;
beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'kandinsky-k3d-cli-'));
  red = join(folder, 'red.png');
  blue = join(folder, 'blue.png');
  odd = join(folder, 'odd.png');
  await writePng(red, shape([220, 40, 40], false));
  await writePng(blue, shape([40, 80, 230], true));
  await writePng(odd, createRgbImage(50, 70));
});

beforeEach(() => {
  vi.mocked(loadIpAdapter).mockClear();
  vi.mocked(loadControlNet).mockClear();
});

describe('kandinsky variation / controlnet', () => {
  it('--help documents both commands, and the main help lists them', async () => {
    for (const [argv, text] of [
      [['variation', '--help'], '--weights W,W,…'],
      [['controlnet', '-h'], '--edges hed|canny'],
      [['--help'], 'kandinsky variation IMAGE [IMAGE …]'],
    ] as const) {
      const streams = io();
      expect(await main(argv, streams)).toBe(0);
      expect(streams.out()).toContain(text);
    }
  });

  it('exits 2 on bad input before opening a model, naming the value', async () => {
    const cases: [string[], string][] = [
      [['variation'], 'variation takes at least one image, got none'],
      [['variation', red, blue, '--weights', '0.5'], '--weights "0.5" gives 1 weight(s) for 2 image(s)'],
      [['variation', red, '--weights', '-1'], '--weights'],
      [['variation', red, blue, '--weights', '0,0'], 'are all zero'],
      [['variation', red, '--weights', 'abc'], '"abc"'],
      [['variation', red, '--image-weight', '-2'], '--image-weight'],
      [['variation', red, '--edges', 'canny'], '--edges applies to kandinsky controlnet only'],
      [['variation', join(folder, 'missing.png')], 'missing.png'],
      [['controlnet', red], 'controlnet takes an image and a prompt, got 1'],
      [['controlnet', red, 'a', '--edges', 'sobel'], '--edges must be hed or canny, got "sobel"'],
      [['controlnet', red, 'a', '--save-hint', 'hint.jpg'], 'not a .png file name'],
      // Any image size is taken (worked on at multiples of 64, with a note); --size must still be exact.
      [['controlnet', odd, 'a', '--size', '50x70'], '"50x70"'],
      [['controlnet', red, 'a', '--steps', '0'], '--steps'],
      [['controlnet', red, 'a', '--weights', '1'], '--weights applies to kandinsky variation only'],
    ];
    for (const [argv, message] of cases) {
      const streams = io();
      expect(await main(argv, streams), argv.join(' ')).toBe(2);
      expect(streams.err()).toContain(message);
      expect(streams.err()).toContain('hint: ');
    }
    expect(loadIpAdapter).not.toHaveBeenCalled();
    expect(loadControlNet).not.toHaveBeenCalled();
  });

  it('refuses a folder of the wrong variant with exit 2 (variation on the base model)', async () => {
    const streams = io();
    const base = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
    expect(await main(['variation', red, '--model', base, '--out', folder, '--quiet'], streams)).toBe(2);
    expect(streams.err()).toContain('error: The model "kandinsky3-tiny" has prompt convention "A"');
  });

  it('variation mixes two images on the bundled model and writes PNGs with the parameters', async () => {
    const out = join(folder, 'mix');
    const streams = io();
    expect(await main(['variation', red, blue, '--weights', '0.7,0.3', '--seed', '5', '--count', '2', '--steps', '10', '--out', out, '--quiet'], streams)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['variation-5.png', 'variation-6.png']);
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(join(out, 'variation-6.png'))));
    expect(metadata).toMatchObject({ mode: 'ip-adapter', seed: 6, steps: 10, model: 'kandinsky3-tiny-ip-adapter', imageWeights: [0.7, 0.3], imageWeight: 1 });
    expect(streams.out()).toContain('wrote ');
  });

  it('controlnet follows the image\'s edges and saves the hint', async () => {
    const out = join(folder, 'controlnet.png');
    const hint = join(folder, 'hint.png');
    const streams = io();
    expect(await main(['controlnet', blue, 'a green square on a white background', '--edges', 'canny', '--save-hint', hint, '--seed', '3', '--steps', '10', '--out', out, '--json'], streams)).toBe(0);
    const summary = JSON.parse(streams.out()) as { files: string[]; hint: string; parameters: { edges: string } };
    expect(summary).toMatchObject({ files: [out], hint, parameters: { edges: 'canny', mode: 'controlnet' } });
    const saved = await readImage(hint);
    expect(saved).toMatchObject({ width: 64, height: 64 });
    expect(saved.data.some((value) => value > 200)).toBe(true);
    expect(extractGenerationMetadata(new Uint8Array(readFileSync(out)))).toMatchObject({ mode: 'controlnet', edges: 'canny', seed: 3 });
  });
});
