import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRgbImage } from '@kandinsky/core';
import { loadControlNet, loadIpAdapter, loadKandinsky3, loadKandiSuperRes, loadOnnxCausalLM, writePng } from '@kandinsky/node';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// Every CLI command, one table (issue 20): an existing output file stops the command with exit 2
// before any model loads (--force allows it); a failing run leaves no output file behind and an
// existing one intact. `beautify` writes no file: it prints, and has no --out to overwrite with.
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return {
    ...actual,
    loadKandinsky3: vi.fn(actual.loadKandinsky3),
    loadIpAdapter: vi.fn(actual.loadIpAdapter),
    loadControlNet: vi.fn(actual.loadControlNet),
    loadKandiSuperRes: vi.fn(actual.loadKandiSuperRes),
    loadOnnxCausalLM: vi.fn(actual.loadOnnxCausalLM),
  };
});
const loaders = [loadKandinsky3, loadIpAdapter, loadControlNet, loadKandiSuperRes, loadOnnxCausalLM];

function io(): CliIo & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    err: () => err,
  };
}

const inputs = mkdtempSync(join(tmpdir(), 'kandinsky-overwrite-inputs-'));
const image = join(inputs, 'photo.png');
const mask = join(inputs, 'mask.png');
beforeAll(async () => {
  await writePng(image, createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(200)));
  await writePng(mask, createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(255)));
});
beforeEach(() => {
  for (const loader of loaders) vi.mocked(loader).mockClear();
});

/** Each command with the arguments it needs before --out; the file name it writes into a folder. */
const COMMANDS: [command: string, args: string[], inFolder: string][] = [
  ['generate', ['a red circle', '--seed', '5'], 'kandinsky-5.png'],
  ['img2img', [image, 'a red circle', '--seed', '5'], 'kandinsky-5.png'],
  ['inpaint', [image, mask, 'a red circle', '--seed', '5'], 'kandinsky-5.png'],
  ['variation', [image, '--seed', '5'], 'variation-5.png'],
  ['controlnet', [image, 'a red circle', '--seed', '5'], 'controlnet-5.png'],
  ['upscale', [image, '--scale', '4'], 'photo-x4.png'],
];

describe('kandinsky CLI: no command overwrites an output file without --force', () => {
  for (const [command, args, inFolder] of COMMANDS) {
    for (const [what, target] of [
      ['--out FILE.png exists', (folder: string) => ({ out: join(folder, 'taken.png'), file: join(folder, 'taken.png') })],
      ['--out FOLDER holds the file', (folder: string) => ({ out: folder, file: join(folder, inFolder) })],
    ] as const) {
      it(`${command}: ${what} → exit 2 before any model loads, the file kept`, async () => {
        const folder = mkdtempSync(join(tmpdir(), 'kandinsky-overwrite-'));
        const { out, file } = target(folder);
        writeFileSync(file, 'keep me');
        const streams = io();
        expect(await main([command, ...args, '--out', out], streams)).toBe(2);
        expect(streams.err()).toMatch(/--out would overwrite an existing file: ".*"\.\nhint: Pass --force/);
        for (const loader of loaders) expect(loader).not.toHaveBeenCalled();
        expect(readFileSync(file, 'utf8')).toBe('keep me');
        expect(readdirSync(folder)).toHaveLength(1);
      });
    }

    it(`${command}: a run that fails (missing model) leaves no new file and, with --force, the old one intact`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'kandinsky-overwrite-fail-'));
      const missing = join(folder, 'no-such-model');
      const fresh = join(folder, 'new.png');
      expect(await main([command, ...args, '--model', missing, '--out', fresh], io())).toBe(2);
      const kept = join(folder, 'taken.png');
      writeFileSync(kept, 'keep me');
      expect(await main([command, ...args, '--model', missing, '--out', kept, '--force'], io())).toBe(2);
      expect(readdirSync(folder)).toEqual(['taken.png']);
      expect(readFileSync(kept, 'utf8')).toBe('keep me');
    });
  }

  it('upscale --force overwrites (the tiny ×4 model)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-overwrite-upscale-'));
    const small = join(folder, 'small.png');
    await writePng(small, createRgbImage(16, 16, new Uint8Array(16 * 16 * 3).fill(90)));
    const out = join(folder, 'big.png');
    writeFileSync(out, 'keep me');
    expect(await main(['upscale', small, '--out', out, '--force', '--quiet'], io())).toBe(0);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
  });

  it('upscale into a folder with the model’s scale: refused once the model folder is read, before the upscale', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-overwrite-upscale-'));
    writeFileSync(join(folder, 'photo-x4.png'), 'keep me');
    const streams = io();
    expect(await main(['upscale', image, '--out', folder], streams)).toBe(2);
    expect(streams.err()).toMatch(/would overwrite an existing file: ".*photo-x4\.png"/);
    expect(readFileSync(join(folder, 'photo-x4.png'), 'utf8')).toBe('keep me');
  });

  it('beautify writes no file: --out is an unknown option (exit 2), nothing to overwrite', async () => {
    const streams = io();
    expect(await main(['beautify', 'a red circle', '--out', join(inputs, 'x.png')], streams)).toBe(2);
    expect(streams.err()).toMatch(/--out/);
    for (const loader of loaders) expect(loader).not.toHaveBeenCalled();
  });
});
