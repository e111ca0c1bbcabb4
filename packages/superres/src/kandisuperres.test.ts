import {
  createRgbImage,
  imagesToTensor,
  interpolate,
  tensorToImages,
  type ProgressEvent,
  type RgbImage,
} from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { KandiSuperRes } from './kandisuperres.js';
import { estimateUpscaleMemory } from './memory-plan.js';
import { lowresEchoBackend, mockSuperResFolder, SR_UNET } from './test-support/mock-sr.js';

/** A deterministic test pattern. */
function pattern(width: number, height: number): RgbImage {
  const image = createRgbImage(width, height);
  for (let index = 0; index < image.data.length; index++) image.data[index] = (index * 37 + (index >> 5) * 11) % 256;
  return image;
}

/** What x0 = lowres must end on: the input upsampled bilinearly (align_corners=False), truncated to bytes. */
function upsampledBytes(image: RgbImage, scale: number): RgbImage {
  const up = interpolate(imagesToTensor(image), {
    width: image.width * scale,
    height: image.height * scale,
    mode: 'bilinear',
    alignCorners: false,
  });
  return tensorToImages(up, { rounding: 'truncate' })[0]!;
}

async function create(options: Parameters<typeof lowresEchoBackend>[0] = {}, config?: Record<string, unknown>) {
  const backend = lowresEchoBackend(options);
  const sr = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder(config) });
  return { backend, sr };
}

describe('KandiSuperRes.upscale on MockBackend', () => {
  it('ends on the conditioning when the model predicts it, across views and batches', async () => {
    const { backend, sr } = await create();
    const image = pattern(24, 16); // ×4 → 96×64 canvas, window 32 stride 24: 4 × 3 views
    const expected = upsampledBytes(image, 4);
    for (const viewBatchSize of [1, 5, 12]) {
      const { image: output, parameters } = await sr.upscale({ image, viewBatchSize });
      expect(parameters.views).toBe(12);
      expect(output.width).toBe(96);
      expect(output.height).toBe(64);
      // x0 = lowres in every view, so the blended result is lowres to float32 rounding: a byte
      // may drop by one where the truncation sits on a boundary.
      let worst = 0;
      for (let index = 0; index < output.data.length; index++) {
        worst = Math.max(worst, Math.abs(output.data[index]! - expected.data[index]!));
      }
      expect(worst).toBeLessThanOrEqual(1);
    }
    // 5 steps × ⌈12 / batch⌉ calls per run.
    expect(backend.runsOf(SR_UNET).length).toBe(5 * 12 + 5 * 3 + 5 * 1);
    expect(backend.runsOf(SR_UNET).slice(-1)[0]!.feeds.sample!.dims).toEqual([12, 3, 32, 32]);
    expect(backend.loads.length).toBe(1); // the session is kept between calls
    await sr.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('gives exactly scale × the input for odd sides (spec §4.8.1 step 7)', async () => {
    const { sr } = await create();
    const { image } = await sr.upscale({ image: pattern(5, 3) });
    expect([image.width, image.height]).toEqual([20, 12]);
    const single = await sr.upscale({ image: pattern(1, 1) });
    expect([single.image.width, single.image.height]).toEqual([4, 4]);
    await sr.dispose();
  });

  it('pads ×2 sides ≡ 2 mod 4 to the size multiple and crops back (spec §4.8.1 size notes)', async () => {
    const { backend, sr } = await create({}, { scale: 2 });
    const image = pattern(5, 7); // (6, 8)·2 = 12 × 16 canvas → padded to 16 × 16, target 10 × 14
    const { image: output } = await sr.upscale({ image });
    expect([output.width, output.height]).toEqual([10, 14]);
    expect(backend.runsOf(SR_UNET)[0]!.feeds.sample!.dims).toEqual([1, 3, 16, 16]);
    await sr.dispose();
  });

  it('keeps the folder’s overlap ratio when only the window is given', async () => {
    const { sr } = await create(); // folder: window 32, stride 24
    const { parameters } = await sr.upscale({ image: pattern(24, 16), window: 16 });
    expect([parameters.window, parameters.stride]).toEqual([16, 12]);
    // 96 × 64 canvas: ⌈(96 − 16)/12⌉ + 1 = 8 columns, ⌈(64 − 16)/12⌉ + 1 = 5 rows.
    expect(parameters.views).toBe(40);
    await sr.dispose();
  });

  it('picks the view batch from maxMemoryBytes on a GPU, and 1 when the backend cannot tell', async () => {
    const image = pattern(24, 16);
    const input = { canvasPixels: 96 * 64, viewPixels: 32 * 32, views: 12, activationBytesPerPixel: 1024 };
    const fixed = estimateUpscaleMemory({ ...input, viewBatchSize: 0 }).total;
    const perView = estimateUpscaleMemory({ ...input, viewBatchSize: 1 }).total - fixed;
    for (const [maxMemoryBytes, expected] of [
      [undefined, 1],
      [2 * (fixed + 3 * perView) + 1, 3],
      [2 * (fixed + 100 * perView), 12], // never more than the views
      [1, 1], // never less than one
    ] as const) {
      const { sr } = await create({ device: 'webgpu', capabilities: { maxMemoryBytes } });
      const { parameters } = await sr.upscale({ image });
      expect(parameters.viewBatchSize).toBe(expected);
      await sr.dispose();
    }
  });

  it('runs one view per UNet call on CPU and wasm whatever the memory (no speed-up from batching there)', async () => {
    for (const device of ['cpu', 'wasm'] as const) {
      const { sr } = await create({ device, capabilities: { maxMemoryBytes: 2 ** 40 } });
      const { parameters } = await sr.upscale({ image: pattern(24, 16) });
      expect(parameters.viewBatchSize).toBe(1);
      await sr.dispose();
    }
  });

  it('doubles the runtime term for batches on the CPU arena only', () => {
    const input = { canvasPixels: 4096 ** 2, viewPixels: 1024 ** 2, views: 25, activationBytesPerPixel: 543 };
    // README table: B = 1 → 640 + 312 + 36 + 543 MiB.
    const one = estimateUpscaleMemory({ ...input, viewBatchSize: 1, cpuArena: true });
    expect([one.canvas, one.history, one.batch, one.activations].map((bytes) => bytes / 2 ** 20)).toEqual([640, 312, 36, 543]);
    expect(estimateUpscaleMemory({ ...input, viewBatchSize: 10, cpuArena: true }).activations / 2 ** 20).toBe(10 * 543 * 2);
    expect(estimateUpscaleMemory({ ...input, viewBatchSize: 10 }).activations / 2 ** 20).toBe(10 * 543);
  });

  it('reports every view of every step, then the step, inside one upscale stage', async () => {
    const { sr } = await create();
    const events: ProgressEvent[] = [];
    await sr.upscale({ image: pattern(24, 16), steps: 3, viewBatchSize: 5, onProgress: (event) => events.push(event) });
    const tiles = events.filter((event) => event.type === 'tile');
    expect(tiles.length).toBe(3 * 12);
    expect(tiles.map((event) => [event.step, event.index, event.total, event.totalSteps])).toEqual(
      Array.from({ length: 36 }, (_, index) => [Math.floor(index / 12), index % 12, 12, 3]),
    );
    expect(events.filter((event) => event.type === 'step').map((event) => event.index)).toEqual([0, 1, 2]);
    const stages = events.filter((event) => event.type === 'stage').map((event) => `${event.stage}:${event.status}`);
    expect(stages).toEqual(['load-model:start', 'load-model:end', 'upscale:start', 'upscale:end']);
    await sr.dispose();
  });

  it('stops within one view batch on abort and releases the session', async () => {
    const { backend, sr } = await create();
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const run = sr.upscale({
      image: pattern(24, 16),
      viewBatchSize: 4,
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event);
        if (event.type === 'tile' && event.step === 1 && event.index === 5) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    // Step 0: 3 batches; step 1: the batch holding view 5 finished, no further batch ran.
    expect(backend.runsOf(SR_UNET).length).toBe(3 + 2);
    expect(events.filter((event) => event.type === 'tile').length).toBe(12 + 8);
    expect(backend.liveSessions).toBe(0);
    expect(backend.pendingRunCount).toBe(0);
    // The next call loads again and works.
    await expect(sr.upscale({ image: pattern(4, 4) })).resolves.toBeDefined();
    await sr.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('releases the session when the model fails', async () => {
    const backend = lowresEchoBackend({}, () => {
      throw new Error('kernel exploded');
    });
    const sr = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder() });
    await expect(sr.upscale({ image: pattern(4, 4) })).rejects.toMatchObject({ code: 'RUNTIME_ERROR' });
    expect(backend.liveSessions).toBe(0);
  });

  describe('rejects bad input before any model loads', () => {
    const image = pattern(8, 8);
    const cases: [string, () => Parameters<KandiSuperRes['upscale']>[0], string, RegExp][] = [
      ['an empty image', () => ({ image: { width: 0, height: 0, data: new Uint8Array(0) } }), 'INVALID_IMAGE', /width 0/],
      ['a short buffer', () => ({ image: { width: 4, height: 4, data: new Uint8Array(47) } }), 'INVALID_IMAGE', /47/],
      ['a scale the model lacks', () => ({ image, scale: 2 }), 'INVALID_ARGUMENT', /scale.*2/],
      ['a window below the size multiple', () => ({ image, window: 4 }), 'INVALID_TILE_LAYOUT', /window 4/],
      ['a window off the size multiple', () => ({ image, window: 28 }), 'INVALID_TILE_LAYOUT', /window 28/],
      ['a stride larger than the window', () => ({ image, window: 16, stride: 24 }), 'INVALID_TILE_LAYOUT', /24.*16/],
      ['zero steps', () => ({ image, steps: 0 }), 'INVALID_ARGUMENT', /steps/],
      ['steps beyond training', () => ({ image, steps: 1001 }), 'INVALID_STEPS', /1001/],
      ['a fractional view batch', () => ({ image, viewBatchSize: 1.5 }), 'INVALID_ARGUMENT', /viewBatchSize/],
      ['a bad seed', () => ({ image, seed: 0.5 }), 'INVALID_ARGUMENT', /0\.5/],
      [
        'an output above the maximum',
        () => ({ image: pattern(2049, 2048) }),
        'INVALID_ARGUMENT',
        /8200×8192.*maxOutputPixels 67108864/,
      ],
      ['an output above a lowered maximum', () => ({ image, maxOutputPixels: 1000 }), 'INVALID_ARGUMENT', /1024 pixels/],
    ];
    for (const [name, options, code, message] of cases) {
      it(name, async () => {
        const { backend, sr } = await create();
        const error = await sr.upscale(options()).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code });
        expect((error as Error).message).toMatch(message);
        expect((error as { hint?: string }).hint).toBeTruthy();
        expect(backend.loads.length).toBe(0);
        expect(backend.liveSessions).toBe(0);
      });
    }

    it('a folder that is not KandiSuperRes', async () => {
      const backend = lowresEchoBackend();
      await expect(
        KandiSuperRes.create({ backend, folder: await mockSuperResFolder({}, 'Kandinsky3Pipeline') }),
      ).rejects.toMatchObject({ code: 'INVALID_MODEL_MANIFEST', message: /Kandinsky3Pipeline/ });
    });
  });
});
