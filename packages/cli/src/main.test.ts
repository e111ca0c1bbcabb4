import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGenerationMetadata } from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import type { CliIo } from './cli-io.js';

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

describe('kandinsky CLI', () => {
  it('prints help for every command', async () => {
    for (const argv of [['--help'], ['generate', '--help'], ['img2img', '--help']]) {
      const streams = io();
      expect(await main(argv, streams)).toBe(0);
      expect(streams.out()).toMatch(/kandinsky (generate|img2img|—)/);
    }
  });

  it('exits 2 with the message and hint on bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['paint'], /Unknown command "paint"/],
      [['generate', 'a', '--size', 'huge'], /Invalid value "huge" for --size/],
      [['generate', 'a', '--steps', '0'], /--steps/],
      [['generate', 'a', '--bogus'], /bogus/],
      [['generate'], /exactly one prompt/],
      [['generate', 'a', '--size', '100x64', '--quiet'], /width 100 is not a multiple of 64/],
      [['generate', 'a', '--model', '/nonexistent/model', '--quiet'], /model_index.json/],
    ];
    for (const [argv, pattern] of cases) {
      const streams = io();
      expect(await main(argv, streams), argv.join(' ')).toBe(2);
      expect(streams.err()).toMatch(pattern);
      expect(streams.err()).toMatch(/^hint: /m);
    }
  });

  it('generates files whose metadata round-trips, and prints where they went', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-'));
    const streams = io();
    const code = await main(
      ['generate', 'a red circle on a white background', '--seed', '5', '--count', '2', '--steps', '10', '--out', folder, '--device', 'cpu'],
      streams,
    );
    expect(streams.err()).toBe('');
    expect(code).toBe(0);
    const files = [join(folder, 'kandinsky-5.png'), join(folder, 'kandinsky-6.png')];
    expect(streams.out()).toContain(`wrote ${files[0]}`);
    expect(streams.out()).toContain(`wrote ${files[1]}`);
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(files[1]!)));
    expect(metadata).toMatchObject({
      prompt: 'a red circle on a white background',
      seed: 6,
      steps: 10,
      guidanceScale: 3,
      width: 64,
      height: 64,
      model: 'kandinsky3-tiny',
      sampler: 'Kandinsky3Sampler',
      mode: 'text-to-image',
    });
  });

  it('runs Flash and img2img with --json output', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-'));
    const flash = io();
    expect(await main(['generate', 'a blue square', '--flash', '--seed', '1', '--out', join(folder, 'f.png'), '--json'], flash)).toBe(0);
    const summary = JSON.parse(flash.out());
    expect(summary.files).toEqual([join(folder, 'f.png')]);
    expect(summary.parameters).toMatchObject({ mode: 'flash', steps: 4, timesteps: [979, 729, 479, 229] });

    const edit = io();
    const input = join(folder, 'f.png');
    writeFileSync(join(folder, 'marker'), '');
    expect(
      await main(['img2img', input, 'a green square', '--strength', '0.5', '--seed', '2', '--steps', '10', '--out', join(folder, 'e.png'), '--json'], edit),
    ).toBe(0);
    const edited = JSON.parse(edit.out());
    expect(edited.parameters).toMatchObject({ mode: 'image-to-image', strength: 0.5, steps: 5 });
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(join(folder, 'e.png'))));
    expect(metadata).toMatchObject({ strength: 0.5, mode: 'image-to-image' });
  });
});
