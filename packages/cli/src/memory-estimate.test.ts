import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';
import { checkPixelLimitsWithEstimate, estimateJobMemoryBytes } from './memory-estimate.js';

const MiB = 2 ** 20;

function io(): CliIo & { err: () => string } {
  let err = '';
  return { stdout: { write: () => true }, stderr: { write: (text: string) => (err += text) }, err: () => err };
}

describe('estimateJobMemoryBytes', () => {
  // Peak RSS measured with /usr/bin/time (tiny model, --steps 1, CPU): the formula stays within
  // 10% of each measurement from 512² up (below that the fixed part dominates and is within 15 MiB).
  it.each([
    [128, 128, 1, 149],
    [256, 256, 1, 172],
    [512, 512, 1, 352],
    [768, 768, 1, 1124],
    [1024, 1024, 1, 3169],
    [512, 512, 2, 552],
  ])('%ix%i × %i is close to the measured %i MiB', (width, height, count, measuredMiB) => {
    const estimate = estimateJobMemoryBytes(width, height, count) / MiB;
    expect(Math.abs(estimate - measuredMiB)).toBeLessThanOrEqual(Math.max(25, measuredMiB * 0.1));
  });
});

describe('the IMAGE_TOO_LARGE message carries the estimate', () => {
  it('for one image over maxPixels', () => {
    expect(() => checkPixelLimitsWithEstimate(2048, 2048, 1, {})).toThrow(
      expect.objectContaining({
        code: 'IMAGE_TOO_LARGE',
        message: expect.stringMatching(/more than maxPixels 1048576.* The job would need about 47\.3 GiB \(estimate: 150 MiB \+ count × 3020 MiB × \(pixels \/ 1024²\)²/),
        details: expect.objectContaining({ maxPixels: 1048576, estimatedBytes: expect.closeTo(47.334 * 2 ** 30, -7) }),
      }),
    );
  });

  it('for a job over maxJobPixels', () => {
    expect(() => checkPixelLimitsWithEstimate(1024, 1024, 17, {})).toThrow(/17 images of 1024x1024 .* about 50\.3 GiB/);
  });

  it('leaves other errors alone', () => {
    expect(() => checkPixelLimitsWithEstimate(64, 64, 1, { maxPixels: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => checkPixelLimitsWithEstimate(64, 64, 1, {})).not.toThrow();
  });

  it('on the command line (--size 99968x64, exit 2)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-estimate-'));
    const streams = io();
    expect(await main(['generate', 'x', '--size', '99968x64', '--out', join(folder, 'never.png')], streams)).toBe(2);
    expect(streams.err()).toMatch(/^error: 99968x64 is 6397952 pixels, .* about 109\.9 GiB/m);
    expect(readdirSync(folder)).toEqual([]);
  });
});
