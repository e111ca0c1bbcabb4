import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGenerationMetadata } from '@kandinsky/core';
import { loadKandinsky3, readImage } from '@kandinsky/node';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// The real functions, watched: a usage error must come before any model folder is opened.
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandinsky3: vi.fn(actual.loadKandinsky3), readImage: vi.fn(actual.readImage) };
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

const tinyModel = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
const missingModel = '/nonexistent/model';

beforeEach(() => {
  vi.mocked(loadKandinsky3).mockClear();
  vi.mocked(readImage).mockClear();
});

describe('kandinsky CLI', () => {
  it('prints help for every command', async () => {
    for (const argv of [['--help'], ['generate', '--help'], ['img2img', '-h']]) {
      const streams = io();
      expect(await main(argv, streams)).toBe(0);
      expect(streams.out()).toMatch(/kandinsky (generate|img2img|—)/);
    }
    expect(loadKandinsky3).not.toHaveBeenCalled();
  });

  it('refuses --flash with --steps before loading or generating anything', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-'));
    const streams = io();
    // No --model: the default model would load, generate and decode if the check came late.
    expect(await main(['generate', 'a blue square', '--flash', '--steps', '5', '--out', folder], streams)).toBe(2);
    expect(streams.err()).toBe(
      'error: --steps "5" cannot be used with --flash: Flash runs its 4 fixed steps (add --scheduler lcm to choose the count).\n' +
        'hint: Drop --steps, or drop --flash to use the guided sampler.\n',
    );
    expect(streams.out()).toBe('');
    expect(loadKandinsky3).not.toHaveBeenCalled();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('exits 2 on every bad option, naming it, with a hint, and opens no model', async () => {
    // --model points nowhere: an option checked only after the folder is opened would report the
    // missing model_index.json instead of the expected message.
    const cases: [string[], string, RegExp][] = [
      [['paint'], 'Unknown command "paint".', /kandinsky --help/],
      [['generate', 'a', '--flash', '--guidance', '2'], '--guidance "2" cannot be used with --flash: Flash uses no classifier-free guidance.', /Drop --guidance/],
      [['generate', 'a', '--flash', '--negative', 'blur'], '--negative "blur" cannot be used with --flash: Flash uses no classifier-free guidance, so no negative prompt.', /Drop --negative/],
      [['generate', 'a', '--strength', '0.5'], '--strength applies to kandinsky img2img only, not generate.', /kandinsky img2img IMAGE/],
      [['img2img', 'in.png', 'a', '--flash'], '--flash applies to kandinsky generate only, not img2img.', /Drop --flash/],
      [['generate', 'a', '--stpes', '5'], 'Unknown option "--stpes" for kandinsky generate.', /Did you mean --steps\?/],
      [['generate', 'a', '--bogus'], 'Unknown option "--bogus" for kandinsky generate.', /^hint: See "kandinsky generate --help"/m],
      [['generate', 'a', '--constructor'], 'Unknown option "--constructor" for kandinsky generate.', /^hint: See "kandinsky generate --help"/m],
      [['generate', 'a', '-x'], 'Unknown option "-x" for kandinsky generate.', /^hint: See "kandinsky generate --help"/m],
      [['generate', 'a', '--steps'], '--steps needs a value.', /Write --steps VALUE/],
      [['generate', 'a', '--steps', '--flash'], '--steps needs a value, but is followed by the option --flash.', /Write --steps VALUE/],
      [['generate', 'a', '--quiet=yes'], '--quiet takes no value, got "yes".', /Write --quiet alone/],
      [['generate', 'a', '--seed', '1', '--seed', '2'], '--seed is given twice ("1" and "2").', /Give --seed once/],
      [['generate', 'a', '--size', 'huge'], '--size must be WIDTHxHEIGHT or one number for a square, got "huge".', /--size 1024x1024/],
      [['generate', 'a', '--size', '100x64'], '--size must be WIDTHxHEIGHT with both sides multiples of 64, got "100x64".', /--size 128x64/],
      [['generate', 'a', '--size', '0'], '--size must be WIDTHxHEIGHT with both sides multiples of 64, got "0".', /--size 64x64/],
      [['generate', 'a', '--steps', '0'], '--steps must be a whole number from 1 to 1000, got "0".', /--steps 50/],
      [['generate', 'a', '--steps', '2.5'], '--steps must be a whole number from 1 to 1000, got "2.5".', /--steps 50/],
      [['generate', 'a', '--guidance', '-1'], '--guidance must be a number ≥ 0, got "-1".', /uses 3/],
      [['generate', 'a', '--guidance', 'high'], '--guidance must be a number ≥ 0, got "high".', /uses 3/],
      [['img2img', 'in.png', 'a', '--strength', '1.5'], '--strength must be a number from 0 to 1, got "1.5".', /0\.3/],
      [['generate', 'a', '--seed', '-1'], '--seed must be a whole number from 0 to 9007199254740991, got "-1".', /42/],
      [['generate', 'a', '--seed', '9007199254740991', '--count', '2'], '--seed must be a whole number from 0 to 9007199254740990, got "9007199254740991".', /42/],
      [['generate', 'a', '--count', '65'], '--count must be a whole number from 1 to 64, got "65".', /--count 4/],
      [['generate', 'a', '--device', 'gpu'], '--device must be one of auto, cpu, cuda, webgpu, got "gpu".', /--device cpu/],
      [['generate', 'a', '--out', ''], '--out is empty.', /a folder, or a \.png, \.jpg or \.webp file name/],
      [['generate'], 'generate takes exactly one prompt, got 0 arguments.', /Quote the prompt/],
      [['generate', 'a', 'red', 'circle'], 'generate takes exactly one prompt, got 3 arguments ("a", "red", "circle").', /Quote the prompt/],
      [['img2img', 'a blue square'], 'img2img takes an image and a prompt, got 1 arguments.', /kandinsky img2img in\.png/],
    ];
    for (const [argv, message, hint] of cases) {
      const streams = io();
      const withModel = [argv[0]!, '--model', missingModel, ...argv.slice(1)];
      expect(await main(withModel, streams), withModel.join(' ')).toBe(2);
      expect(streams.err().split('\n')[0], withModel.join(' ')).toBe(`error: ${message}`);
      expect(streams.err()).toMatch(/^hint: /m);
      expect(streams.err()).toMatch(hint);
    }
    expect(loadKandinsky3).not.toHaveBeenCalled();
    expect(readImage).not.toHaveBeenCalled();
  });

  it('reads the img2img input before the model, and works at a size the model can take', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-'));
    const missing = io();
    expect(await main(['img2img', join(folder, 'none.png'), 'a', '--model', missingModel], missing)).toBe(2);
    expect(missing.err()).toContain(`Cannot read the image file ${JSON.stringify(join(folder, 'none.png'))}`);

    const { encodePng } = await import('@kandinsky/node');
    const { createRgbImage } = await import('@kandinsky/core');
    const odd = join(folder, 'odd.png');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(odd, await encodePng(createRgbImage(100, 64, new Uint8Array(100 * 64 * 3).fill(200))));
    // Any size is taken (issue 20): worked on at sides floored to multiples of 64, and said so.
    const oddSize = io();
    expect(await main(['img2img', odd, 'a', '--model', missingModel], oddSize)).toBe(2);
    expect(oddSize.err()).toMatch(
      new RegExp(`^note: The image ${JSON.stringify(odd).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is 100x64; the command works at 64x64 .*Pass --size to choose\.\nerror: .*model_index\.json`),
    );
    expect(loadKandinsky3).toHaveBeenCalledTimes(1);
  });

  it('reports a missing model folder (exit 2) only once the options are good', async () => {
    const streams = io();
    expect(await main(['generate', 'a', '--steps', '3', '--model', missingModel], streams)).toBe(2);
    expect(streams.err()).toMatch(/model_index\.json/);
    expect(loadKandinsky3).toHaveBeenCalledTimes(1);
    expect(vi.mocked(loadKandinsky3).mock.calls[0]![0]).toBe(missingModel);
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
    // The default model came from @kandinsky/tiny-models.
    expect(vi.mocked(loadKandinsky3).mock.calls[0]![0]).toMatch(/models[/\\]tiny[/\\]kandinsky3-tiny$/);
    const files = [join(folder, 'kandinsky-5.png'), join(folder, 'kandinsky-6.png')];
    expect(streams.out()).toContain(`wrote ${files[0]}`);
    expect(streams.out()).toContain(`wrote ${files[1]}`);
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(files[1]!)));
    expect(metadata).toStrictEqual({
      prompt: 'a red circle on a white background',
      seed: 6,
      steps: 10,
      guidanceScale: 3,
      width: 64,
      height: 64,
      model: 'kandinsky3-tiny',
      sampler: 'Kandinsky3Sampler',
      mode: 'text-to-image',
      sdkVersion: 'kandinsky-ts 0.0.0',
    });
  });

  it('runs Flash and img2img with --json output', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-'));
    const flash = io();
    expect(await main(['generate', 'a blue square', '--flash', '--seed', '1', '--model', tinyModel, '--out', join(folder, 'f.png'), '--json'], flash)).toBe(0);
    const summary = JSON.parse(flash.out());
    expect(summary.files).toEqual([join(folder, 'f.png')]);
    expect(summary.parameters).toMatchObject({ mode: 'flash', steps: 4, timesteps: [979, 729, 479, 229] });
    expect(extractGenerationMetadata(new Uint8Array(readFileSync(join(folder, 'f.png'))))).toStrictEqual({
      prompt: 'a blue square',
      seed: 1,
      steps: 4,
      width: 64,
      height: 64,
      model: 'kandinsky3-tiny',
      sampler: 'Flash',
      mode: 'flash',
      sdkVersion: 'kandinsky-ts 0.0.0',
    });

    const edit = io();
    const input = join(folder, 'f.png');
    expect(
      await main(['img2img', input, 'a green square', '--strength', '0.5', '--seed', '2', '--steps', '10', '--out', join(folder, 'e.png'), '--json'], edit),
    ).toBe(0);
    const edited = JSON.parse(edit.out());
    expect(edited.parameters).toMatchObject({ mode: 'image-to-image', strength: 0.5, steps: 5, width: 64, height: 64 });
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(join(folder, 'e.png'))));
    expect(metadata).toMatchObject({ strength: 0.5, mode: 'image-to-image', seed: 2, steps: 5 });
  });
});
