import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KANDINSKY_XMP_NAMESPACE } from '@kandinsky/node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';
import { outputPaths } from './output-paths.js';

// `--out x.jpg` / `x.webp` (issue 20): written in the format the extension names, through sharp,
// with the generation metadata in XMP; PNG stays the default for folders.
function io(): CliIo & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    err: () => err,
  };
}

const tinyModel = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
const work = mkdtempSync(join(tmpdir(), 'kandinsky-out-formats-'));
const common = ['--steps', '2', '--seed', '11', '--model', tinyModel, '--device', 'cpu', '--quiet'];

describe('--out by extension', () => {
  it('names further images before the extension, whatever the format', () => {
    expect(outputPaths('/o/a.webp', [1, 2, 3], 'kandinsky')).toEqual(['/o/a.webp', '/o/a-2.webp', '/o/a-3.webp']);
    expect(outputPaths('/o/a.JPG', [1, 2], 'kandinsky')).toEqual(['/o/a.JPG', '/o/a-2.JPG']);
    expect(outputPaths('/o/a.gif', [5], 'kandinsky')).toEqual(['/o/a.gif/kandinsky-5.png']);
  });

  for (const [name, format] of [
    ['x.jpg', 'jpeg'],
    ['x.jpeg', 'jpeg'],
    ['x.webp', 'webp'],
  ] as const) {
    it(`generate --out ${name} writes ${format} with the metadata in XMP`, async () => {
      const path = join(work, name);
      const streams = io();
      expect(await main(['generate', 'a red circle', '--negative', '', ...common, '--out', path], streams)).toBe(0);
      const bytes = await readFile(path);
      const read = await sharp(bytes).metadata();
      expect([read.format, read.width, read.height]).toEqual([format, 64, 64]);
      const xmp = read.xmp!.toString('utf8');
      expect(xmp).toContain(KANDINSKY_XMP_NAMESPACE);
      const json = /<kandinsky:kandinsky>([^<]*)</.exec(xmp)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
      expect(JSON.parse(json)).toMatchObject({ prompt: 'a red circle', negativePrompt: '', seed: 11, steps: 2, width: 64, height: 64 });
    });
  }

  it('writes every image of --count in the same format', async () => {
    const streams = io();
    expect(await main(['generate', 'a blue square', ...common, '--count', '2', '--out', join(work, 'pair', 'b.webp')], streams)).toBe(0);
    expect(readdirSync(join(work, 'pair')).sort()).toEqual(['b-2.webp', 'b.webp']);
    expect((await sharp(await readFile(join(work, 'pair', 'b-2.webp'))).metadata()).format).toBe('webp');
  });

  it('refuses to overwrite an existing .jpg without --force, before generating', async () => {
    const path = join(work, 'taken.jpg');
    writeFileSync(path, 'not an image');
    const streams = io();
    expect(await main(['generate', 'a', ...common, '--out', path], streams)).toBe(2);
    expect(streams.err()).toMatch(/--out would overwrite an existing file: .*taken\.jpg/);
    expect(await readFile(path, 'utf8')).toBe('not an image');
    expect(await main(['generate', 'a', ...common, '--out', path, '--force'], io())).toBe(0);
    expect((await sharp(await readFile(path)).metadata()).format).toBe('jpeg');
  });

  it('still writes PNG files into a folder', async () => {
    expect(await main(['generate', 'a', ...common, '--out', join(work, 'folder')], io())).toBe(0);
    expect(readdirSync(join(work, 'folder'))).toEqual(['kandinsky-11.png']);
  });
});
