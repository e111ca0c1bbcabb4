import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGenerationMetadata, type ProgressEvent } from '@kandinsky/core';
import { loadKandiSuperRes, readImage } from '@kandinsky/node';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';
import { createUpscaleProgress } from './upscale-progress.js';

vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandiSuperRes: vi.fn(actual.loadKandiSuperRes) };
});

function io(tty = false): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: tty },
    stderr: { write: (text: string) => (err += text), isTTY: tty, columns: 100 },
    out: () => out,
    err: () => err,
  };
}

// 32×48 world images from @kandinsky/superres's held-out fixtures (8 stacked: 256×48 in all).
const input = join(import.meta.dirname, '../../superres/src/fixtures/large-canvas-lr.png');

beforeEach(() => {
  vi.mocked(loadKandiSuperRes).mockClear();
});

describe('kandinsky upscale', () => {
  it('documents itself in --help and in the main help', async () => {
    const streams = io();
    expect(await main(['upscale', '--help'], streams)).toBe(0);
    for (const option of ['--scale', '--steps', '--seed', '--view-batch', '--window', '--stride', '--out', '--max-pixels']) {
      expect(streams.out()).toContain(option);
    }
    const mainHelp = io();
    expect(await main(['--help'], mainHelp)).toBe(0);
    expect(mainHelp.out()).toContain('kandinsky upscale IMAGE');
  });

  it('upscales ×4 with the bundled tiny model and records the run in the PNG', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-upscale-'));
    const streams = io();
    expect(await main(['upscale', input, '--out', folder, '--seed', '3', '--view-batch', '4'], streams)).toBe(0);
    const file = join(folder, 'large-canvas-lr-x4.png');
    expect(streams.out()).toBe(`wrote ${file}\n`);
    const image = await readImage(file);
    expect([image.width, image.height]).toEqual([192, 1024]);
    expect(extractGenerationMetadata(readFileSync(file))).toMatchObject({
      seed: 3,
      steps: 5,
      width: 192,
      height: 1024,
      sampler: 'DPMSolverMultistepScheduler',
      mode: 'upscale-x4',
    });
    // Plain lines on a non-terminal: one per step, with the views and an ETA.
    expect(streams.err()).toMatch(/upscale step 1\/5: 84 views, 20%, .* ETA /);
    expect(streams.err()).toMatch(/upscale step 5\/5: 84 views, 100%/);
  });

  it('exits 2 on every bad option, naming it, before any model loads', async () => {
    const cases: [string[], RegExp][] = [
      [['upscale'], /exactly one input image, got 0/],
      [['upscale', 'a.png', 'b.png'], /exactly one input image, got 2/],
      [['upscale', input, '--scale', '3'], /--scale must be 4 or 2, got "3"/],
      [['upscale', input, '--steps', '0'], /--steps/],
      [['upscale', input, '--window', '64', '--stride', '65'], /--stride 65 is larger than --window 64/],
      [['upscale', input, '--windw', '64'], /Unknown option "--windw"[\s\S]*Did you mean --window/],
      [['upscale', input, '--seed', '-1'], /--seed/],
      [['upscale', input, '--view-batch', 'x'], /--view-batch/],
      [['upscale', input, '--device', 'tpu'], /--device must be one of/],
    ];
    for (const [argv, message] of cases) {
      const streams = io();
      expect(await main(argv, streams)).toBe(2);
      expect(streams.err()).toMatch(message);
      expect(streams.err()).toMatch(/hint: /);
    }
    expect(loadKandiSuperRes).not.toHaveBeenCalled();
  });

  it('exits 2 for a scale the model lacks, a window off its multiple, an output above --max-pixels', async () => {
    for (const [argv, message] of [
      [['--scale', '2'], /scale/],
      [['--window', '60'], /window 60 is not a positive multiple/],
      [['--max-pixels', '100000'], /more than maxOutputPixels 100000/],
    ] as const) {
      const streams = io();
      expect(await main(['upscale', input, ...argv, '--out', mkdtempSync(join(tmpdir(), 'kandinsky-upscale-'))], streams)).toBe(2);
      expect(streams.err()).toMatch(message);
    }
  });

  it('exits 2 for an --out it cannot write, before any model loads', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-upscale-'));
    const blocker = join(folder, 'file.png');
    writeFileSync(blocker, 'not a folder');
    for (const [out, message] of [
      [join(folder, 'big.gif'), /names a \.gif file/],
      [join(blocker, 'big.png'), /is a file/],
    ] as const) {
      const streams = io();
      expect(await main(['upscale', input, '--out', out], streams)).toBe(2);
      expect(streams.err()).toMatch(message);
    }
    expect(readdirSync(folder)).toEqual(['file.png']);
    expect(loadKandiSuperRes).not.toHaveBeenCalled();
  });

  it('exits 2 for a missing input image and writes nothing', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-upscale-'));
    const streams = io();
    expect(await main(['upscale', join(folder, 'missing.png'), '--out', folder], streams)).not.toBe(0);
    expect(readdirSync(folder)).toEqual([]);
    expect(loadKandiSuperRes).not.toHaveBeenCalled();
  });
});

describe('generate --upscale', () => {
  it('generates, then upscales, and the PNG records both', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-upscale-'));
    const streams = io();
    const file = join(folder, 'circle.png');
    expect(await main(['generate', 'a red circle on a white background', '--seed', '1', '--steps', '4', '--upscale', '4', '--out', file], streams)).toBe(0);
    const image = await readImage(file);
    expect([image.width, image.height]).toEqual([256, 256]);
    const metadata = extractGenerationMetadata(readFileSync(file));
    expect(metadata).toMatchObject({
      prompt: 'a red circle on a white background',
      seed: 1,
      steps: 4,
      width: 64,
      height: 64,
      upscale: { model: 'kandisuperres-x4-tiny', scale: 4, steps: 5, seed: 0, width: 256, height: 256 },
    });

    // Upscaling that file again keeps its generation record and replaces the upscale record.
    const again = io();
    const bigger = join(folder, 'bigger.png');
    expect(await main(['upscale', file, '--out', bigger, '--window', '256', '--stride', '200'], again)).toBe(0);
    expect(extractGenerationMetadata(readFileSync(bigger))).toMatchObject({
      prompt: 'a red circle on a white background',
      width: 64,
      upscale: { scale: 4, width: 1024, height: 1024 },
    });
  });

  it('refuses a scale the SR model lacks before generating anything', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-upscale-'));
    for (const [argv, message] of [
      [['--upscale', '3'], /--upscale must be 4 or 2, got "3"/],
      [['--upscale', '2'], /upscales by 4 only/],
      [['--upscale-model', folder], /--upscale-model needs --upscale/],
    ] as const) {
      const streams = io();
      expect(await main(['generate', 'a red circle', ...argv, '--out', folder], streams)).toBe(2);
      expect(streams.err()).toMatch(message);
    }
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('upscale progress', () => {
  it('draws a bar with percentage and ETA over steps × views on a terminal', () => {
    const streams = io(true);
    let clock = 0;
    const report = createUpscaleProgress(streams.stderr, false, () => clock);
    const view = { top: 0, left: 0, height: 8, width: 8 };
    report({ type: 'stage', stage: 'upscale', status: 'start' } as ProgressEvent);
    clock = 10_000;
    report({ type: 'tile', index: 1, total: 4, step: 0, totalSteps: 5, view });
    // 2 of 20 items in 10 s → 90 s left.
    expect(streams.err()).toMatch(/\rupscale \[#+\.+\] 10% step 1\/5 view 2\/4 ETA 1m30s$/);
  });
});
