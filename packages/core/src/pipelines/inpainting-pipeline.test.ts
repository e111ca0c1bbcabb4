import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../events/progress-event.js';
import { rectangleMask } from '../image/inpainting-mask.js';
import { createRgbImage } from '../image/rgb-image.js';
import { ModelFolder } from '../model/model-folder.js';
import { Kandinsky3Sampler } from '../schedulers/kandinsky-sampler.js';
import type { Tensor } from '../tensor/tensor.js';
import { Kandinsky3 } from './kandinsky3.js';
import { NULL_EMBEDDING, WIDTH, mockTokenizer } from './test-support/mock-kandinsky3.js';
import { mockInpaintingBackend, mockInpaintingFiles } from './test-support/mock-inpainting.js';

async function pipelineWith(
  options: { onUnet?: (feeds: Readonly<Record<string, Tensor>>) => void; lowMemory?: boolean; withInpainting?: boolean; samplerConfig?: object } = {},
) {
  const backend = mockInpaintingBackend(options.onUnet);
  const folder = await ModelFolder.open(mockInpaintingFiles(options));
  const pipeline = await Kandinsky3.create({ backend, folder, tokenizer: mockTokenizer, lowMemory: options.lowMemory ?? false });
  return { backend, pipeline };
}

/** A 64×64 grey image and a mask repainting its top-left 16×16 corner. */
const image = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(200));
const mask = rectangleMask(64, 64, { x: 0, y: 0, width: 16, height: 16 });

describe('InpaintingPipeline (mock models)', () => {
  it('feeds the 9-channel UNet [x, keep mask, masked latent] with the inpainting projection and CFG', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline, backend } = await pipelineWith({ onUnet: (feeds) => seen.push({ ...feeds }) });
    const result = await pipeline.inpaint({ image, mask, prompt: 'a red circle', seed: 3, steps: 4 });
    expect(seen).toHaveLength(4);
    const sample = seen[0]!.sample!;
    expect(sample.dims).toEqual([2, 9, 8, 8]);
    const data = sample.data as Float32Array;
    const plane = 64;
    // Channel 4 (both CFG rows): 1 = keep, 0 over the repainted 2×2 latent corner (spec §2.5).
    for (const row of [0, 1]) {
      const keep = Array.from(data.subarray((row * 9 + 4) * plane, (row * 9 + 5) * plane));
      expect(keep.filter((v) => v === 0)).toHaveLength(4);
      expect([keep[0], keep[1], keep[8], keep[9], keep[2], keep[16]]).toEqual([0, 0, 0, 0, 1, 1]);
    }
    // One MoVQ encode of the masked image at the working size (its values: inpainting-inputs.test.ts).
    const encoded = backend.runs.filter((run) => run.model === 'movq_encoder/model.onnx');
    expect(encoded.map((run) => run.feeds.image!.dims)).toEqual([[1, 3, 64, 64]]);
    // Context: the inpainting projection (×3) and its own null embedding (mock: +100).
    const context = seen[0]!.encoder_hidden_states!.data as Float32Array;
    expect(Array.from(context.subarray(0, WIDTH))).toEqual([0, 1, 2, 3].map((d) => Math.fround(Math.fround(3 + d / 10) * 3)));
    expect(Array.from(context.subarray(5 * WIDTH, 6 * WIDTH))).toEqual(Array.from(NULL_EMBEDDING, (v) => v + 100));
    expect(backend.loads.map((load) => load.model)).not.toContain('unet/model.onnx');
    expect(result.parameters).toMatchObject({ mode: 'inpainting', width: 64, height: 64, guidanceScale: 4, steps: 4 });
  });

  it('defaults to the reference: 50 steps, guidance 4, percentile 0.95, seeds seed + i', async () => {
    const { pipeline } = await pipelineWith();
    const result = await pipeline.inpaint({ image, mask, prompt: 'a', seed: 10, count: 2 });
    expect(result.seeds).toEqual([10, 11]);
    expect(result.parameters).toMatchObject({ steps: 50, guidanceScale: 4, sampler: 'Kandinsky3Sampler' });
    const sampler = (await pipeline.components.scheduler('original', 50, { task: 'inpainting' })) as Kandinsky3Sampler;
    expect(sampler.percentile).toBe(0.95);
    expect(((await pipeline.components.scheduler('original', 50)) as Kandinsky3Sampler).percentile).toBe(0.99);
    // sampler_config.json's inpainting section wins when present.
    const configured = await pipelineWith({ samplerConfig: { inpainting: { threshold_percentile: 0.9 } } });
    expect(((await configured.pipeline.components.scheduler('original', 50, { task: 'inpainting' })) as Kandinsky3Sampler).percentile).toBe(0.9);
  });

  it('works at the reference size: shrinks to ≤ 1 MP, floors to 64, and pastes back at the input size', async () => {
    const large = createRgbImage(150, 70, new Uint8Array(150 * 70 * 3).fill(30));
    const largeMask = rectangleMask(150, 70, { x: 100, y: 10, width: 20, height: 20 });
    const { pipeline } = await pipelineWith();
    const plain = await pipeline.inpaint({ image: large, mask: largeMask, prompt: 'a', seed: 1, steps: 2 });
    expect(plain.images[0]).toMatchObject({ width: 128, height: 64 });
    const pasted = await pipeline.inpaint({ image: large, mask: largeMask, prompt: 'a', seed: 1, steps: 2, pasteBack: true });
    const out = pasted.images[0]!;
    expect(out).toMatchObject({ width: 150, height: 70 });
    // Far from the mask the input comes back; inside it the generated grey (mock decoder: 191).
    expect(Array.from(out.data.subarray(0, 3))).toEqual([30, 30, 30]);
    const inside = (20 * 150 + 110) * 3;
    expect(out.data[inside]).toBe(191);
  });

  it('grows the mask by 6 pixels with dilateMask (the reference notebook\'s prepare_mask)', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (feeds) => seen.push({ ...feeds }) });
    const small = rectangleMask(64, 64, { x: 0, y: 0, width: 4, height: 4 });
    await pipeline.inpaint({ image, mask: small, prompt: 'a', seed: 1, steps: 1, dilateMask: true });
    const keep = Array.from((seen[0]!.sample!.data as Float32Array).subarray(4 * 64, 5 * 64));
    // 4 + 6 = 10 pixels → latent columns/rows 0 and 1 (nearest picks pixels 0 and 8).
    expect(keep.filter((v) => v === 0)).toHaveLength(4);
  });

  it('reports progress like text → image: stages, 50 steps, previews', async () => {
    const { pipeline } = await pipelineWith();
    const events: ProgressEvent[] = [];
    await pipeline.inpaint({ image, mask, prompt: 'a', seed: 1, steps: 6, previewEvery: 3, onProgress: (event) => events.push(event) });
    const stages = events.filter((e) => e.type === 'stage' && e.status === 'start').map((e) => (e as { stage: string }).stage);
    expect(stages).toEqual(expect.arrayContaining(['encode-prompt', 'encode-image', 'denoise', 'decode']));
    expect(events.filter((e) => e.type === 'step')).toHaveLength(6);
    expect(events.filter((e) => e.type === 'preview').map((e) => (e as { step: number }).step)).toEqual([2, 5]);
  });

  it('aborts between steps, leaks nothing and stays usable', async () => {
    const { pipeline, backend } = await pipelineWith();
    const controller = new AbortController();
    const run = pipeline.inpaint({
      image,
      mask,
      prompt: 'a',
      seed: 1,
      steps: 10,
      signal: controller.signal,
      onProgress: (event) => event.type === 'step' && event.index === 2 && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(backend.pendingRunCount).toBe(0);
    expect((await pipeline.inpaint({ image, mask, prompt: 'a', seed: 1, steps: 2 })).images).toHaveLength(1);
    await pipeline.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('releases every session after each stage in low-memory mode', async () => {
    const { pipeline, backend } = await pipelineWith({ lowMemory: true });
    await pipeline.inpaint({ image, mask, prompt: 'a', seed: 1, steps: 2 });
    expect(backend.liveSessions).toBe(0);
  });

  it('rejects bad input with stable codes before loading any model', async () => {
    const { pipeline, backend } = await pipelineWith();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ mask: rectangleMask(32, 64, { x: 0, y: 0, width: 8, height: 8 }) }, 'SHAPE_MISMATCH', /mask is 32×64 but the image is 64×64/],
      [{ mask: new Float32Array(64 * 64) }, 'INVALID_ARGUMENT', /repaints nothing/],
      [{ mask: 'mask.png' }, 'INVALID_IMAGE', /not an image/],
      [{ mask: new Float32Array(10) }, 'SHAPE_MISMATCH', /10 values/],
      [{ mask: new Float32Array(64 * 64).fill(2) }, 'INVALID_IMAGE', /outside \[0, 1\]/],
      [{ image: { width: 0, height: 0, data: new Uint8Array(0) } }, 'INVALID_IMAGE', /width 0/],
      [{ image: createRgbImage(40, 64), mask: new Float32Array(40 * 64).fill(1) }, 'INVALID_IMAGE', /40×64/],
      [{ width: 128 }, 'INVALID_ARGUMENT', /does not take width/],
      [{ seed: -1 }, 'INVALID_ARGUMENT', /seed/],
      [{ guidanceScale: Number.NaN }, 'INVALID_ARGUMENT', /guidanceScale/],
    ];
    for (const [override, code, message] of cases) {
      await expect(pipeline.inpaint({ image, mask, prompt: 'a', seed: 1, steps: 2, ...override } as never)).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
        hint: expect.any(String),
      });
    }
    expect(backend.loads.filter((load) => !load.model.startsWith('text_'))).toHaveLength(0);
    await pipeline.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('refuses a folder without the inpainting UNet, naming what is missing', async () => {
    const { pipeline, backend } = await pipelineWith({ withInpainting: false });
    await expect(pipeline.inpaint({ image, mask, prompt: 'a', seed: 1 })).rejects.toMatchObject({
      code: 'INVALID_MODEL_MANIFEST',
      message: expect.stringContaining('unet_inpainting'),
    });
    expect(backend.loads).toHaveLength(0);
  });

  it('accepts an all-repaint mask (the inpainting UNet then draws from the prompt alone)', async () => {
    const { pipeline } = await pipelineWith();
    const all = await pipeline.inpaint({ image, mask: new Uint8Array(64 * 64).fill(255), prompt: 'a', seed: 1, steps: 1 });
    expect(all.images[0]).toMatchObject({ width: 64, height: 64 });
  });

  it('records the inference steps asked for, not the UNet calls, with Heun (2N − 1 calls)', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (feeds) => seen.push({ ...feeds }) });
    const result = await pipeline.inpaint({ image, mask, prompt: 'a', seed: 1, steps: 3, scheduler: 'heun' });
    // diffusers' HeunDiscreteScheduler: num_inference_steps 3 → timesteps [t0, t1, t1, t2, t2].
    expect(seen).toHaveLength(5);
    expect(result.parameters).toMatchObject({ steps: 3, sampler: 'HeunDiscreteScheduler' });
    expect(result.parameters.timesteps).toHaveLength(5);
  });
});
