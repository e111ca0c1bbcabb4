import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGenerationMetadata } from '@kandinsky/core';
import { loadKandinsky3 } from '@kandinsky/node';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';
import { parseSchedulerOptions } from './scheduler-option.js';

vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandinsky3: vi.fn(actual.loadKandinsky3) };
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

beforeEach(() => {
  vi.mocked(loadKandinsky3).mockClear();
});

describe('--scheduler', () => {
  it('accepts the known names and diffusers class names', () => {
    expect(parseSchedulerOptions('euler-a', undefined)).toEqual({ scheduler: 'euler-a', schedulerConfig: undefined });
    expect(parseSchedulerOptions('UniPCMultistepScheduler', '{"solver_order":3}')).toEqual({
      scheduler: 'UniPCMultistepScheduler',
      schedulerConfig: { solver_order: 3 },
    });
    expect(parseSchedulerOptions(undefined, undefined)).toEqual({ scheduler: undefined, schedulerConfig: undefined });
  });

  it('writes the chosen scheduler into the PNG metadata (generate and img2img)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-scheduler-'));
    const streams = io();
    const argv = ['generate', 'a red circle on a white background', '--scheduler', 'euler-a', '--scheduler-config', '{"timestep_spacing":"leading"}'];
    expect(await main([...argv, '--steps', '6', '--seed', '3', '--model', tinyModel, '--out', join(folder, 'a.png'), '--quiet'], streams)).toBe(0);
    expect(streams.err()).toBe('');
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(join(folder, 'a.png'))));
    expect(metadata).toMatchObject({ sampler: 'EulerAncestralDiscreteScheduler', steps: 6, seed: 3 });

    const edit = io();
    const img2img = ['img2img', join(folder, 'a.png'), 'a blue square', '--scheduler', 'heun', '--strength', '0.5'];
    expect(await main([...img2img, '--steps', '4', '--seed', '2', '--model', tinyModel, '--out', join(folder, 'b.png'), '--quiet'], edit)).toBe(0);
    // Heun: strength 0.5 of 4 steps leaves 2 inference steps (diffusers' init_timestep), recorded
    // as such though they take 3 model calls (two per step after the first).
    expect(extractGenerationMetadata(new Uint8Array(readFileSync(join(folder, 'b.png'))))).toMatchObject({
      sampler: 'HeunDiscreteScheduler',
      mode: 'image-to-image',
      steps: 2,
    });
  });

  it('exits 2 on a bad choice, naming it with a hint, before any model loads', async () => {
    const cases: [string[], string][] = [
      [['--scheduler', 'eulr-a'], 'error: --scheduler "eulr-a" is not a scheduler this SDK knows.\nhint: Did you mean --scheduler euler-a?'],
      [['--scheduler-config', '{}'], 'error: --scheduler-config needs --scheduler.'],
      [['--scheduler', 'kandinsky', '--scheduler-config', '{}'], 'cannot be used with --scheduler kandinsky'],
      [['--scheduler', 'unipc', '--scheduler-config', '[1]'], 'error: --scheduler-config must be a JSON object, got "[1]".'],
      [['--scheduler', 'unipc', '--scheduler-config', '{"solver_type":"bh3"}'], 'error: --scheduler-config: Unknown solver_type "bh3"'],
      [['--scheduler', 'euler', '--flash'], 'error: --scheduler "euler" cannot be used with --flash'],
    ];
    for (const [options, expected] of cases) {
      const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-scheduler-'));
      const streams = io();
      expect(await main(['generate', 'a red circle', ...options, '--model', '/nonexistent/model', '--out', folder], streams)).toBe(2);
      expect(streams.err()).toContain(expected);
      expect(readdirSync(folder)).toEqual([]);
    }
    expect(loadKandinsky3).not.toHaveBeenCalled();
  });

  it('--flash --scheduler lcm --steps N samples the Flash UNet with LCM and records it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-cli-scheduler-'));
    const streams = io();
    const argv = ['generate', 'a red circle on a white background', '--flash', '--scheduler', 'lcm', '--steps', '6', '--seed', '3'];
    expect(await main([...argv, '--model', tinyModel, '--out', join(folder, 'a.png'), '--quiet'], streams)).toBe(0);
    expect(streams.err()).toBe('');
    expect(extractGenerationMetadata(new Uint8Array(readFileSync(join(folder, 'a.png'))))).toMatchObject({
      mode: 'flash',
      sampler: 'LCMScheduler',
      steps: 6,
      seed: 3,
    });
  });

  it('is listed in both commands\' help', async () => {
    for (const command of ['generate', 'img2img']) {
      const streams = io();
      expect(await main([command, '--help'], streams)).toBe(0);
      expect(streams.out()).toContain('--scheduler NAME     sampler: ddpm, ddim, euler, euler-a, dpm++2m, dpm++2m-karras, unipc, heun, lcm,');
    }
  });
});
