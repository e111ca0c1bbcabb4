import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKandinsky3 } from '@kandinsky/node';
import { crc32, deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// The bad-input suite of the CLI (issue 20): each case exits 2 with a typed message before a model
// folder is opened, and leaves no output file behind.
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandinsky3: vi.fn(actual.loadKandinsky3) };
});

function io(): CliIo & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    err: () => err,
  };
}

const work = mkdtempSync(join(tmpdir(), 'kandinsky-bad-input-'));
const bigPng = join(work, 'big.png');

/** A valid 1-bit palette PNG of `side`² white pixels: small on disk (deflated zeros), huge decoded. */
function whitePng(side: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 3, 0, 0, 0], 8); // bit depth 1, palette, deflate, no filter, no interlace
  const rows = Buffer.alloc(side * (1 + Math.ceil(side / 8))); // filter byte 0 + index 0 per pixel
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('PLTE', Buffer.from([255, 255, 255])),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

beforeAll(() => {
  // 16000² white: 31 KB on disk, 732 MiB decoded as RGB.
  writeFileSync(bigPng, whitePng(16000));
});

beforeEach(() => {
  vi.mocked(loadKandinsky3).mockClear();
});

describe('kandinsky CLI: oversized requests are refused before anything loads', () => {
  const out = (name: string) => join(work, name);
  const cases: [string, string[], RegExp][] = [
    ['--size 99968x64', ['generate', 'x', '--size', '99968x64', '--out', out('a.png')], /99968x64 is 6397952 pixels, more than maxPixels 1048576/],
    ['--size 2048x2048 --flash', ['generate', 'x', '--flash', '--size', '2048x2048', '--out', out('b.png')], /more than maxPixels/],
    ['--count 17 at 1024²', ['generate', 'x', '--size', '1024x1024', '--count', '17', '--out', out('c')], /17 images of 1024x1024 are 17825792 pixels, more than maxJobPixels/],
    ['img2img with a 16000² PNG', ['img2img', bigPng, 'x', '--out', out('d.png')], /16000x16000 \(256000000 pixels\), more than maxPixels 67108864; not decoded/],
    ['img2img --size 8192x8192', ['img2img', bigPng, 'x', '--size', '8192x8192', '--out', out('e.png')], /more than maxPixels/],
    ['inpaint with a 16000² PNG', ['inpaint', bigPng, bigPng, 'x', '--out', out('f.png')], /16000x16000/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const streams = io();
      expect(await main(argv, streams)).toBe(2);
      expect(streams.err()).toMatch(message);
      expect(streams.err()).toMatch(/^hint: /m);
      expect(loadKandinsky3).not.toHaveBeenCalled();
      expect(readdirSync(work)).toEqual(['big.png']);
      expect(existsSync(argv[argv.indexOf('--out') + 1]!)).toBe(false);
    });
  }
});

describe('kandinsky CLI: --out problems are refused before anything loads', () => {
  const folder = mkdtempSync(join(tmpdir(), 'kandinsky-bad-out-'));
  const aFile = join(folder, 'taken');
  const aFolder = join(folder, 'taken.png');
  beforeAll(() => {
    writeFileSync(aFile, 'x');
    mkdirSync(aFolder);
  });
  const cases: [string, () => string, RegExp][] = [
    ['--out x.gif (no folder "x.gif/")', () => join(folder, 'x.gif'), /names a \.gif file, but the CLI writes \.png, \.jpg and \.webp files only/],
    ['--out x.tiff', () => join(folder, 'x.tiff'), /names a \.tiff file/],
    ['--out an existing folder named .png', () => aFolder, /is an existing folder, not a \.png file/],
    ['--out an existing file as the folder', () => aFile, /is an existing file, not a folder/],
    ['--out below a file', () => join(aFile, 'sub', 'x.png'), /cannot be created: .* is a file/],
  ];
  for (const [name, out, message] of cases) {
    for (const command of [['generate', 'x'], ['img2img', bigPng, 'x'], ['variation', bigPng]]) {
      it(`${name}: ${command[0]}`, async () => {
        const streams = io();
        expect(await main([...command, '--out', out()], streams)).toBe(2);
        expect(streams.err()).toMatch(message);
        expect(loadKandinsky3).not.toHaveBeenCalled();
        expect(readdirSync(folder).sort()).toEqual(['taken', 'taken.png']);
        expect(statSync(aFile).size).toBe(1);
        expect(readdirSync(aFolder)).toEqual([]);
      });
    }
  }
});

describe('kandinsky CLI: no silent overwrite', () => {
  const tinyModel = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
  it('an existing --out file, or a seed file in the folder, stops the command before the model loads; --force overwrites', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-overwrite-'));
    const file = join(folder, 'red.png');
    writeFileSync(file, 'keep me');
    writeFileSync(join(folder, 'kandinsky-7.png'), 'keep me too');
    for (const argv of [
      ['generate', 'a red circle', '--out', file],
      ['generate', 'a red circle', '--out', folder, '--seed', '6', '--count', '2'],
      ['variation', bigPng, '--out', file],
    ]) {
      const streams = io();
      expect(await main(argv, streams)).toBe(2);
      expect(streams.err()).toMatch(/--out would overwrite an existing file: ".*(red|kandinsky-7)\.png"\.\nhint: Pass --force/);
    }
    expect(loadKandinsky3).not.toHaveBeenCalled();
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readFileSync(join(folder, 'kandinsky-7.png'), 'utf8')).toBe('keep me too');
    const streams = io();
    expect(await main(['generate', 'a red circle', '--model', tinyModel, '--steps', '1', '--seed', '1', '--out', file, '--force', '--quiet'], streams)).toBe(0);
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });
});
