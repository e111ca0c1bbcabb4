import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../events/progress-event.js';
import { prepareClipPixelValues } from '../image/clip-preprocess.js';
import { createRgbImage } from '../image/rgb-image.js';
import { ModelFolder } from '../model/model-folder.js';
import type { Tensor } from '../tensor/tensor.js';
import { IpAdapterPipeline } from './ip-adapter-pipeline.js';
import { EMBED, PROJECTION_BIAS, WIDTH, mockK3dBackend, mockK3dFiles, mockTokenizer } from './test-support/mock-k3d.js';
import { mockFiles } from './test-support/mock-kandinsky3.js';

async function ipWith(onUnet?: (feeds: Readonly<Record<string, Tensor>>) => void, lowMemory = false) {
  const backend = mockK3dBackend('ip', onUnet ? { onUnet } : {});
  const folder = await ModelFolder.open(mockK3dFiles('ip'));
  const pipeline = await IpAdapterPipeline.create({ backend, folder, tokenizer: mockTokenizer, lowMemory });
  return { backend, pipeline };
}

const black = createRgbImage(8, 8);
const white = createRgbImage(8, 8, new Uint8Array(8 * 8 * 3).fill(255));

/** The mock encoder's embedding of an image: mean of its CLIP pixel values + d. */
function embedding(image: typeof black): number[] {
  const pixels = prepareClipPixelValues(image, { size: 8 }).data;
  const mean = pixels.reduce((sum, value) => sum + value, 0) / pixels.length;
  return Array.from({ length: EMBED }, (_, d) => mean + d);
}

describe('IpAdapterPipeline (mock models, spec §4.6)', () => {
  it('mixes the image embeddings by weight, with the all-zero image as the unconditional half', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await ipWith((feeds) => seen.push({ ...feeds }));
    const result = await pipeline.mix({ images: [black, white], weights: [0.25, 0.75], imageWeight: 0.6, seed: 4, steps: 5, guidanceScale: 3 });
    expect(seen).toHaveLength(5);
    const embeds = seen[0]!.image_embeds!;
    expect(embeds.dims).toEqual([2, EMBED]);
    // [uncond, cond]: the encoder of all-zero pixel_values (mean 0) first, then 0.25·e_black + 0.75·e_white.
    const expected = embedding(black).map((value, d) => 0.25 * value + 0.75 * embedding(white)[d]!);
    expect(Array.from(embeds.data as Float32Array).slice(0, EMBED)).toEqual([0, 1, 2]);
    Array.from(embeds.data as Float32Array)
      .slice(EMBED)
      .forEach((value, d) => expect(value).toBeCloseTo(expected[d]!, 5));
    expect(seen[0]!.ip_scale).toMatchObject({ dims: [], data: Float32Array.of(0.6) });
    expect(result.parameters).toMatchObject({
      mode: 'ip-adapter',
      prompt: '',
      negativePrompt: '',
      imageWeights: [0.25, 0.75],
      imageWeight: 0.6,
      sampler: 'DDPMScheduler',
      timesteps: [801, 601, 401, 201, 1],
      convention: 'C',
    });
  });

  it('image only (prompt ""): all-zero positive context and mask; "" negative projected with zeroed pads', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await ipWith((feeds) => seen.push({ ...feeds }));
    await pipeline.variation({ image: black, seed: 1, steps: 2 });
    const context = seen[0]!.encoder_hidden_states!;
    // "" → [EOS]: n = 1, L = 2 (spec §4.1 step 4); batch [uncond, cond].
    expect(context.dims).toEqual([2, 2, WIDTH]);
    expect(Array.from(seen[0]!.encoder_attention_mask!.data as BigInt64Array)).toEqual([1n, 0n, 0n, 0n]);
    const values = Array.from(context.data as Float32Array);
    expect(values.slice(0, WIDTH)).toEqual([3, 3.2, 3.4, 3.6].map(Math.fround)); // 2·(EOS id 1 + d/10) + 1
    expect(values.slice(WIDTH).every((value) => value === 0)).toBe(true);
  });

  it('image + text: positive pad row keeps the projection bias, the negative\'s is zeroed', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await ipWith((feeds) => seen.push({ ...feeds }));
    await pipeline.variation({ image: black, prompt: 'a red circle', seed: 1, steps: 2 });
    const context = seen[0]!.encoder_hidden_states!.data as Float32Array;
    const row = (item: number, index: number) => Array.from(context.subarray((item * 5 + index) * WIDTH, (item * 5 + index + 1) * WIDTH));
    expect(Array.from(seen[0]!.encoder_attention_mask!.data as BigInt64Array)).toEqual([1n, 0n, 0n, 0n, 0n, 1n, 1n, 1n, 1n, 0n]);
    expect(row(1, 0)).toEqual([7, 7.2, 7.4, 7.6].map(Math.fround)); // 'a' = id 3
    expect(row(1, 4)).toEqual([PROJECTION_BIAS, PROJECTION_BIAS, PROJECTION_BIAS, PROJECTION_BIAS]);
    expect(row(0, 4)).toEqual([0, 0, 0, 0]);
  });

  it('skips CFG for w ≤ 1 like the K3D pipeline: batch of one, the mixed embedding only', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await ipWith((feeds) => seen.push({ ...feeds }));
    const result = await pipeline.variation({ image: white, seed: 1, steps: 2, guidanceScale: 1 });
    expect(seen[0]!.sample!.dims[0]).toBe(1);
    expect(seen[0]!.image_embeds!.dims).toEqual([1, EMBED]);
    expect(result.parameters.negativePrompt).toBeUndefined();
  });

  it('checks images, weights and imageWeight before loading any model', async () => {
    const { pipeline, backend } = await ipWith();
    const cases: [Parameters<IpAdapterPipeline['generate']>[0], string, string][] = [
      [{ images: [] }, 'INVALID_ARGUMENT', 'holds no image'],
      [{ images: [black, white], weights: [1] }, 'INVALID_EMBEDDING_WEIGHTS', 'Got 2 image(s) but weights [1]'],
      [{ images: [black], weights: [-1] }, 'INVALID_EMBEDDING_WEIGHTS', 'Image weight -1 at index 0'],
      [{ images: [black], weights: [Number.NaN] }, 'INVALID_EMBEDDING_WEIGHTS', 'NaN'],
      [{ images: [black, white], weights: [0, 0] }, 'INVALID_EMBEDDING_WEIGHTS', 'All image weights are zero'],
      [{ images: [black], imageWeight: -0.5 }, 'INVALID_ARGUMENT', 'imageWeight -0.5'],
      [{ images: [{ width: 0, height: 8, data: new Uint8Array(0) }] }, 'INVALID_IMAGE', 'image 0'],
      [{ images: [black], steps: 0 }, 'INVALID_STEPS', '0'],
    ];
    for (const [options, code, message] of cases) {
      await expect(pipeline.generate({ ...options, seed: 1 }), message).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
    }
    expect(backend.loads).toHaveLength(0);
  });

  it('rejects a folder of another variant before loading: the base folder, or a ControlNet one', async () => {
    const backend = mockK3dBackend('ip');
    for (const files of [mockFiles('A'), mockK3dFiles('controlnet'), mockK3dFiles('ip', { unetVariant: 'base' })]) {
      const folder = await ModelFolder.open(files);
      await expect(IpAdapterPipeline.create({ backend, folder, tokenizer: mockTokenizer })).rejects.toMatchObject({
        code: 'INVALID_MODEL_MANIFEST',
        hint: expect.stringContaining('IP-Adapter'),
      });
    }
    expect(backend.loads).toHaveLength(0);
  });

  it('emits step, stage and preview events, uses seed + i, aborts leaving nothing behind', async () => {
    const { pipeline, backend } = await ipWith();
    const events: ProgressEvent[] = [];
    const result = await pipeline.variation({ image: black, seed: 10, count: 2, steps: 4, previewEvery: 2, onProgress: (e) => events.push(e) });
    expect(result.seeds).toEqual([10, 11]);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(8);
    expect(events.filter((e) => e.type === 'preview')).toHaveLength(4);
    const stages = events.filter((e) => e.type === 'stage').map((e) => `${(e as { stage: string }).stage}:${(e as { status: string }).status}`);
    expect(stages).toEqual(expect.arrayContaining(['encode-prompt:start', 'encode-image:end', 'denoise:start', 'decode:end']));
    const controller = new AbortController();
    const run = pipeline.variation({
      image: black,
      seed: 1,
      steps: 10,
      signal: controller.signal,
      onProgress: (event) => event.type === 'step' && event.index === 2 && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(backend.pendingRunCount).toBe(0);
    await pipeline.components.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('releases every session after its stage in low-memory mode', async () => {
    const { pipeline, backend } = await ipWith(undefined, true);
    await pipeline.variation({ image: black, seed: 1, steps: 2 });
    expect(backend.liveSessions).toBe(0);
  });
});
