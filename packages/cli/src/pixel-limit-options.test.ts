import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadControlNet, loadIpAdapter, loadKandinsky3, readImage, writePng } from '@kandinsky/node';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// --max-pixels / --max-job-pixels (issue 20): the library's maxPixels / maxJobPixels on the command
// line, checked before a model loads (the loaders are spied on to prove it).
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return {
    ...actual,
    loadKandinsky3: vi.fn(actual.loadKandinsky3),
    loadIpAdapter: vi.fn(actual.loadIpAdapter),
    loadControlNet: vi.fn(actual.loadControlNet),
  };
});

function io(): CliIo & { err: () => string; out: () => string } {
  let err = '';
  let out = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    err: () => err,
    out: () => out,
  };
}

const work = mkdtempSync(join(tmpdir(), 'kandinsky-max-pixels-'));
const wide = join(work, 'wide.png');
const tinyModel = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');

beforeAll(async () => {
  // 128×64 = 8192 pixels, twice a --max-pixels of 4096.
  const data = new Uint8Array(128 * 64 * 3).fill(200);
  await writePng(wide, { width: 128, height: 64, data });
});

beforeEach(() => {
  vi.mocked(loadKandinsky3).mockClear();
  vi.mocked(loadIpAdapter).mockClear();
  vi.mocked(loadControlNet).mockClear();
});

function expectNothingLoaded(): void {
  expect(loadKandinsky3).not.toHaveBeenCalled();
  expect(loadIpAdapter).not.toHaveBeenCalled();
  expect(loadControlNet).not.toHaveBeenCalled();
}

describe('--max-pixels and --max-job-pixels', () => {
  const out = (name: string) => join(work, 'out', name);
  const refused: [string, string[], RegExp][] = [
    ['generate --size 128x64', ['generate', 'x', '--size', '128x64', '--max-pixels', '4096', '--out', out('a.png')], /128x64 is 8192 pixels, more than maxPixels 4096/],
    ['generate --count 3', ['generate', 'x', '--size', '64', '--count', '3', '--max-job-pixels', '8192', '--out', out('b')], /3 images of 64x64 are 12288 pixels, more than maxJobPixels 8192/],
    ['img2img --size 128x64', ['img2img', wide, 'x', '--size', '128x64', '--max-pixels', '4096', '--out', out('c.png')], /more than maxPixels 4096/],
    ['inpaint of a 128×64 image', ['inpaint', wide, wide, 'x', '--max-pixels', '4096', '--out', out('d.png')], /128x64 is 8192 pixels, more than maxPixels 4096/],
    ['variation --size 128x64', ['variation', wide, '--size', '128x64', '--max-pixels', '4096', '--out', out('e.png')], /more than maxPixels 4096/],
    ['controlnet --size 128x64', ['controlnet', wide, 'x', '--size', '128x64', '--max-pixels', '4096', '--out', out('f.png')], /more than maxPixels 4096/],
    ['controlnet --count 2', ['controlnet', wide, 'x', '--size', '64', '--count', '2', '--max-job-pixels', '4096', '--out', out('g')], /more than maxJobPixels 4096/],
  ];
  for (const [name, argv, message] of refused) {
    it(`refuses ${name} over the limit before a model loads`, async () => {
      const streams = io();
      expect(await main(argv, streams)).toBe(2);
      expect(streams.err()).toMatch(message);
      expect(streams.err()).toMatch(/^hint: /m);
      expectNothingLoaded();
      expect(readdirSync(work)).toEqual(['wide.png']);
    });
  }

  const malformed: [string[], string][] = [
    [['generate', 'x', '--max-pixels', '0'], '--max-pixels must be a whole number from 1 to 9007199254740991, got "0".'],
    [['generate', 'x', '--max-pixels', '1e6'], '--max-pixels must be a whole number from 1 to 9007199254740991, got "1e6".'],
    [['img2img', wide, 'x', '--max-job-pixels', '-5'], '--max-job-pixels must be a whole number from 1 to 9007199254740991, got "-5".'],
  ];
  for (const [argv, message] of malformed) {
    it(`rejects ${argv.slice(-2).join(' ')}`, async () => {
      const streams = io();
      expect(await main(argv, streams)).toBe(2);
      expect(streams.err()).toContain(`error: ${message}`);
      expectNothingLoaded();
    });
  }

  it('is an option of the generating commands only', async () => {
    const streams = io();
    expect(await main(['beautify', 'x', '--max-pixels', '4096'], streams)).toBe(2);
    expect(streams.err()).toMatch(/--max-pixels applies to kandinsky generate only, not beautify/);
  });

  it('lowers the size img2img fits an image to when --size is left out', async () => {
    const streams = io();
    // 128×64 under a limit of 4096 pixels: the reference's rule floors it to 64×64 (a note says so).
    expect(await main(['img2img', wide, 'a grey square', '--max-pixels', '4096', '--steps', '2', '--seed', '1', '--model', tinyModel, '--device', 'cpu', '--out', out('fit.png'), '--quiet'], streams)).toBe(0);
    expect(streams.err()).toMatch(/works at 64x64 .*at most 4096 pixels/);
    const written = await readImage(out('fit.png'));
    expect([written.width, written.height]).toEqual([64, 64]);
  });

  it('lets a job at the limit run (the limit is inclusive)', async () => {
    const streams = io();
    expect(await main(['generate', 'a red circle', '--size', '64', '--count', '2', '--max-pixels', '4096', '--max-job-pixels', '8192', '--steps', '2', '--seed', '3', '--model', tinyModel, '--device', 'cpu', '--out', out('ok'), '--quiet'], streams)).toBe(0);
    expect(readdirSync(out('ok')).sort()).toEqual(['kandinsky-3.png', 'kandinsky-4.png']);
  });
});
