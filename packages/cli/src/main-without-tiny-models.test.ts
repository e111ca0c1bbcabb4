import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// As if @kandinsky/tiny-models were not installed: importing it fails.
vi.mock('@kandinsky/tiny-models', () => {
  throw new Error('Cannot find package "@kandinsky/tiny-models"');
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

describe('kandinsky CLI without @kandinsky/tiny-models', () => {
  it('generates with --model: the default model package is only needed without it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-'));
    const model = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
    const streams = io();
    expect(await main(['generate', 'a red circle on a white background', '--model', model, '--seed', '3', '--steps', '2', '--out', folder], streams)).toBe(0);
    expect(readdirSync(folder)).toEqual(['kandinsky-3.png']);
  });

  it('without --model, exits 2 saying to pass --model DIR or install the package', async () => {
    const streams = io();
    expect(await main(['generate', 'a red circle'], streams)).toBe(2);
    expect(streams.err()).toMatch(/^error: No --model was given, and the default model's package @kandinsky\/tiny-models failed to load/);
    expect(streams.err()).toMatch(/^hint: Pass --model DIR .*npm install @kandinsky\/tiny-models\.$/m);
    expect(streams.out()).toBe('');
  });
});
