import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crop, pad, type Backend, type ModelSession, type RgbImage } from '@kandinsky/core';
import { createNodeBackend, readImage } from '@kandinsky/node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KandiSuperRes } from './kandisuperres.js';
import { openTinySuperRes } from './test-support/tiny-sr.js';

// Held-out world images and PyTorch's bicubic PSNR on them, written by
// packages/superres/scripts/held-out-fixtures.py: the sets of the tiny model's card.
const FIXTURES = join(import.meta.dirname, 'fixtures');
interface HeldOut {
  held_out_64: { psnr_bicubic: number[] };
  large_canvas: { psnr_bicubic: number[] };
}
const heldOut = JSON.parse(readFileSync(join(FIXTURES, 'held-out.json'), 'utf8')) as HeldOut;

/** models/tiny/kandisuperres-x4/README.md, "Measured quality": SR 5 steps vs bicubic, PyTorch, untiled. */
const CARD = { heldOut64: { sr: 28.96, flash: 28.99, bicubic: 25.62 }, largeCanvas: { sr: 26.75, bicubic: 23.58 } };

/** PSNR in dB of two same-size 8-bit images on [0, 1]. */
function psnr(a: RgbImage, b: RgbImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  for (let index = 0; index < a.data.length; index++) sum += ((a.data[index]! - b.data[index]!) / 255) ** 2;
  return 10 * Math.log10(1 / Math.max(sum / a.data.length, 1e-10));
}

const mean = (values: readonly number[]) => values.reduce((total, value) => total + value, 0) / values.length;

/** The images of a sheet: `count` tiles of `width × height`, row-major over `columns` columns. */
function tiles(sheet: RgbImage, width: number, height: number, count: number): RgbImage[] {
  const columns = sheet.width / width;
  return Array.from({ length: count }, (_, index) =>
    crop(sheet, { left: (index % columns) * width, top: Math.floor(index / columns) * height, width, height }),
  );
}

/** Mean |Δ| between horizontally and vertically adjacent pixels, split by whether the pair straddles a line in `cuts`. */
function gradientAcross(image: RgbImage, columnCuts: ReadonlySet<number>, rowCuts: ReadonlySet<number>) {
  let border = 0;
  let borderCount = 0;
  let inside = 0;
  let insideCount = 0;
  const at = (x: number, y: number, c: number) => image.data[(y * image.width + x) * 3 + c]!;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      for (let c = 0; c < 3; c++) {
        if (x > 0) {
          const delta = Math.abs(at(x, y, c) - at(x - 1, y, c));
          if (columnCuts.has(x)) (border += delta), borderCount++;
          else (inside += delta), insideCount++;
        }
        if (y > 0) {
          const delta = Math.abs(at(x, y, c) - at(x, y - 1, c));
          if (rowCuts.has(y)) (border += delta), borderCount++;
          else (inside += delta), insideCount++;
        }
      }
    }
  }
  return { border: border / borderCount, inside: inside / insideCount };
}

describe('KandiSuperRes on the tiny ×4 model, held-out images', () => {
  let sr: KandiSuperRes;
  let large: { hr: RgbImage; lr: RgbImage }[];
  beforeAll(async () => {
    sr = await openTinySuperRes();
    const hr = tiles(await readImage(join(FIXTURES, 'large-canvas-hr.png')), 192, 128, 8);
    const lr = tiles(await readImage(join(FIXTURES, 'large-canvas-lr.png')), 48, 32, 8);
    large = hr.map((image, index) => ({ hr: image, lr: lr[index]! }));
  });

  it('beats bicubic on 64 images 16² → 64² by the card margin minus 1 dB', async () => {
    const hr = tiles(await readImage(join(FIXTURES, 'held-out-64-hr.png')), 64, 64, 64);
    const lr = tiles(await readImage(join(FIXTURES, 'held-out-64-lr.png')), 16, 16, 64);
    const scores: number[] = [];
    for (let index = 0; index < 64; index++) {
      const { image } = await sr.upscale({ image: lr[index]!, seed: 0 });
      scores.push(psnr(image, hr[index]!));
    }
    const margin = mean(scores) - mean(heldOut.held_out_64.psnr_bicubic);
    console.info(`held-out 64: SR ${mean(scores).toFixed(2)} dB, bicubic ${mean(heldOut.held_out_64.psnr_bicubic).toFixed(2)} dB`);
    expect(mean(heldOut.held_out_64.psnr_bicubic)).toBeCloseTo(CARD.heldOut64.bicubic, 2);
    expect(margin).toBeGreaterThanOrEqual(CARD.heldOut64.sr - CARD.heldOut64.bicubic - 1);
  });

  it('Flash loop: beats bicubic on the same 64 images by the card margin minus 1 dB', async () => {
    // Flash takes sides in multiples of 32 (spec §4.8.3 step 1), the card's images are 16²: each
    // is edge-padded to 32² (right and bottom) and the top-left 64² of its 128² output is scored.
    const hr = tiles(await readImage(join(FIXTURES, 'held-out-64-hr.png')), 64, 64, 64);
    const lr = tiles(await readImage(join(FIXTURES, 'held-out-64-lr.png')), 16, 16, 64);
    const scores: number[] = [];
    for (let index = 0; index < 64; index++) {
      const padded = pad(lr[index]!, { right: 16, bottom: 16, mode: 'replicate' });
      const { image, parameters } = await sr.upscale({ image: padded, flash: true, seed: 0 });
      expect(parameters).toMatchObject({ flash: true, steps: 4 });
      scores.push(psnr(crop(image, { left: 0, top: 0, width: 64, height: 64 }), hr[index]!));
    }
    const margin = mean(scores) - mean(heldOut.held_out_64.psnr_bicubic);
    console.info(`held-out 64, Flash: SR ${mean(scores).toFixed(2)} dB, bicubic ${mean(heldOut.held_out_64.psnr_bicubic).toFixed(2)} dB`);
    expect(margin).toBeGreaterThanOrEqual(CARD.heldOut64.flash - CARD.heldOut64.bicubic - 1);
  });

  it('beats bicubic on 8 canvases 32×48 → 128×192 tiled into 3 × 4 views of 64² (stride 48)', async () => {
    const scores: number[] = [];
    for (const { hr, lr } of large) {
      const { image, parameters } = await sr.upscale({ image: lr, seed: 0 });
      expect(parameters.views).toBe(12);
      scores.push(psnr(image, hr));
    }
    const margin = mean(scores) - mean(heldOut.large_canvas.psnr_bicubic);
    console.info(`large canvas, tiled: SR ${mean(scores).toFixed(2)} dB, bicubic ${mean(heldOut.large_canvas.psnr_bicubic).toFixed(2)} dB`);
    expect(margin).toBeGreaterThanOrEqual(CARD.largeCanvas.sr - CARD.largeCanvas.bicubic - 1);
  });

  it('shows no seam: mean |Δ| across view borders is no larger than inside views', async () => {
    // Window 56 / stride 40 puts every view border off the 64-px grid of the world tiles, whose
    // backgrounds differ (a content edge there would count as a seam).
    const window = 56;
    const stride = 40;
    let border = 0;
    let inside = 0;
    for (const { lr } of large) {
      const { image, parameters } = await sr.upscale({ image: lr, seed: 0, window, stride });
      expect(parameters.views).toBe(3 * 5);
      const columnCuts = new Set([40, 56, 80, 96, 120, 136, 176]);
      const rowCuts = new Set([40, 56, 72, 96]);
      const gradient = gradientAcross(image, columnCuts, rowCuts);
      border += gradient.border / large.length;
      inside += gradient.inside / large.length;
    }
    console.info(`seams: mean |Δ| across view borders ${border.toFixed(3)}, inside views ${inside.toFixed(3)}`);
    expect(border).toBeLessThanOrEqual(inside);
  });

  it('same seed → identical bytes, whatever the view batch; another seed differs', async () => {
    const { lr } = large[0]!;
    const first = await sr.upscale({ image: lr, seed: 7, viewBatchSize: 1 });
    const again = await sr.upscale({ image: lr, seed: 7, viewBatchSize: 1 });
    const batched = await sr.upscale({ image: lr, seed: 7, viewBatchSize: 12 });
    const other = await sr.upscale({ image: lr, seed: 8, viewBatchSize: 1 });
    expect(Buffer.from(again.image.data).equals(Buffer.from(first.image.data))).toBe(true);
    expect(Buffer.from(batched.image.data).equals(Buffer.from(first.image.data))).toBe(true);
    expect(Buffer.from(other.image.data).equals(Buffer.from(first.image.data))).toBe(false);
  });

  it('rejects with ABORTED mid-run on onnxruntime-node and leaves no live session', async () => {
    const inner = await createNodeBackend({ device: 'cpu' });
    let live = 0;
    const counting: Backend = {
      name: inner.name,
      device: inner.device,
      capabilities: inner.capabilities,
      async loadModel(source, options) {
        const session = await inner.loadModel(source, options);
        live++;
        let released = false;
        const counted: ModelSession = {
          inputs: session.inputs,
          outputs: session.outputs,
          get disposed() {
            return session.disposed;
          },
          run: (feeds, runOptions) => session.run(feeds, runOptions),
          dispose: async () => {
            await session.dispose();
            if (!released) (released = true), live--;
          },
        };
        return counted;
      },
    };
    const aborting = await openTinySuperRes(counting);
    const controller = new AbortController();
    let tilesDone = 0;
    const run = aborting.upscale({
      image: large[0]!.lr,
      viewBatchSize: 2,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'tile') tilesDone++;
        if (event.type === 'tile' && event.step === 2 && event.index === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    // Views 2 and 3 of step 2 shared a batch; the next batch never started.
    expect(tilesDone).toBe(2 * 12 + 4);
    expect(live).toBe(0);
  });
});
