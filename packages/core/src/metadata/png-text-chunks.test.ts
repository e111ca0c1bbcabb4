import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { insertPngText, readPngText } from './png-text-chunks.js';
import {
  embedGenerationMetadata,
  extractGenerationMetadata,
  formatGenerationParameters,
  type GenerationMetadata,
} from './generation-metadata.js';

const pillowPng = new Uint8Array(readFileSync(new URL('./fixtures/pillow-text.png', import.meta.url)));

/** A minimal valid 2×1 RGB PNG built with node:zlib, independent of the code under test. */
function tinyPng(): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(1, 4);
  header[8] = 8;
  header[9] = 2;
  const raw = Buffer.from([0, 255, 0, 0, 0, 0, 255]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

const metadata: GenerationMetadata = {
  prompt: 'a red circle, on white',
  negativePrompt: 'blurry',
  seed: 42,
  steps: 50,
  guidanceScale: 3,
  width: 64,
  height: 64,
  model: 'kandinsky3-tiny',
  sampler: 'Kandinsky3Sampler',
  mode: 'text-to-image',
  sdkVersion: 'kandinsky-ts 0.0.0',
};

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('PNG text chunks', () => {
  it('reads the tEXt and iTXt entries that Pillow writes', () => {
    expect(readPngText(pillowPng)).toEqual([
      { keyword: 'parameters', text: 'a red circle\nSteps: 4, Seed: 7' },
      { keyword: 'kandinsky', text: '{"prompt":"кот — a cat"}' },
    ]);
  });

  it('round-trips generation metadata and replaces older entries with the same keyword', () => {
    const once = embedGenerationMetadata(tinyPng(), metadata);
    const twice = embedGenerationMetadata(once, { ...metadata, seed: 43 });
    expect(extractGenerationMetadata(twice)).toEqual({ ...metadata, seed: 43 });
    expect(readPngText(twice).filter((entry) => entry.keyword === 'kandinsky')).toHaveLength(1);
    expect(readPngText(twice).find((entry) => entry.keyword === 'parameters')?.text).toBe(
      'a red circle, on white\nNegative prompt: blurry\nSteps: 50, Sampler: Kandinsky3Sampler, ' +
        'Guidance scale: 3, Seed: 43, Size: 64x64, Model: kandinsky3-tiny, Mode: text-to-image, ' +
        'Version: kandinsky-ts 0.0.0',
    );
  });

  it('writes files that an independent PNG reader accepts', () => {
    const png = embedGenerationMetadata(pillowPng, metadata);
    let python: string | undefined;
    try {
      python = execFileSync('/usr/bin/python3', ['-c', 'import PIL'], { stdio: 'ignore' }) && '/usr/bin/python3';
    } catch {
      python = undefined;
    }
    if (!python) {
      // Without Pillow, check every CRC ourselves via readPngText (which rejects bad CRCs).
      expect(readPngText(png).length).toBeGreaterThanOrEqual(2);
      return;
    }
    const script =
      'import sys, io, json; from PIL import Image; im = Image.open(io.BytesIO(sys.stdin.buffer.read())); ' +
      'im.load(); print(json.dumps({"size": im.size, "kandinsky": im.text["kandinsky"]}))';
    const output = JSON.parse(execFileSync(python, ['-c', script], { input: png }).toString());
    expect(output.size).toEqual([3, 2]);
    expect(JSON.parse(output.kandinsky)).toEqual(metadata);
  });

  it('formats without the optional fields', () => {
    const { negativePrompt, guidanceScale, mode, ...required } = metadata;
    void negativePrompt, guidanceScale, mode;
    expect(formatGenerationParameters(required)).toBe(
      'a red circle, on white\nSteps: 50, Sampler: Kandinsky3Sampler, Seed: 42, Size: 64x64, ' +
        'Model: kandinsky3-tiny, Version: kandinsky-ts 0.0.0',
    );
  });

  it('rejects non-PNG bytes, bad keywords and corrupted chunks with typed errors', () => {
    expect(() => readPngText(new Uint8Array([1, 2, 3]))).toThrowError(/Not a PNG file/);
    expect(() => insertPngText(tinyPng(), [{ keyword: '', text: 'x' }])).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('""') }),
    );
    const corrupted = embedGenerationMetadata(tinyPng(), metadata);
    corrupted[60] ^= 0xff; // inside the first iTXt chunk after IHDR (8 + 25 = 33 bytes in)
    expect(() => readPngText(corrupted)).toThrowError(expect.objectContaining({ code: 'INVALID_IMAGE' }));
  });
});
