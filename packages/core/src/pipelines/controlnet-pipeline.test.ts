import { describe, expect, it } from 'vitest';
import { createRgbImage } from '../image/rgb-image.js';
import { ModelFolder } from '../model/model-folder.js';
import type { Tensor } from '../tensor/tensor.js';
import { ControlNetPipeline } from './controlnet-pipeline.js';
import {
  PROJECTION_BIAS,
  RESIDUAL_CHANNELS,
  WIDTH,
  mockControlNetV2Backend,
  mockK3dBackend,
  mockK3dFiles,
  mockTokenizer,
} from './test-support/mock-k3d.js';
import type { ProgressEvent } from '../events/progress-event.js';

async function controlNetWith(onUnet?: (feeds: Readonly<Record<string, Tensor>>) => void, lowMemory = false) {
  const backend = mockK3dBackend('controlnet', onUnet ? { onUnet } : {});
  const folder = await ModelFolder.open(mockK3dFiles('controlnet'));
  const pipeline = await ControlNetPipeline.create({ backend, folder, tokenizer: mockTokenizer, lowMemory });
  return { backend, pipeline };
}

const image = createRgbImage(64, 64);

describe('ControlNetPipeline v1 (mock models, spec §4.7)', () => {
  it('feeds the HED hint with the whole CFG batch and returns it; pads keep the projection bias', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await controlNetWith((feeds) => seen.push({ ...feeds }));
    const result = await pipeline.generate({ image, prompt: 'a red circle', seed: 2, steps: 3, guidanceScale: 3 });
    expect(seen).toHaveLength(3);
    const hint = seen[0]!.hint!;
    expect(hint.dims).toEqual([2, 3, 64, 64]);
    // Every side is −1: sigmoid(−1)·255 = 68.57 → 68 (truncated, spec §2.9) → 68/255 in the hint.
    expect((hint.data as Float32Array).every((value) => value === Math.fround(68 / 255))).toBe(true);
    expect(result.hint).toMatchObject({ width: 64, height: 64 });
    expect(result.hint.data.every((value) => value === 68)).toBe(true);
    // Negative "" tokenised to L = 5 (EOS then pads); its pad rows stay the bias (ControlNet rule).
    const context = seen[0]!.encoder_hidden_states!.data as Float32Array;
    expect(Array.from(context.subarray(WIDTH, 2 * WIDTH))).toEqual(new Array(WIDTH).fill(PROJECTION_BIAS));
    expect(Array.from(seen[0]!.encoder_attention_mask!.data as BigInt64Array)).toEqual([1n, 0n, 0n, 0n, 0n, 1n, 1n, 1n, 1n, 0n]);
    expect(result.parameters).toMatchObject({ mode: 'controlnet', edges: 'hed', steps: 3, width: 64, height: 64, negativePrompt: '' });
  });

  it('draws Canny lines over the detector\'s flat-image level, or over 0 without a detector', async () => {
    const square = createRgbImage(64, 64);
    for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) square.data.fill(255, 3 * (y * 64 + x), 3 * (y * 64 + x) + 3);
    const { pipeline } = await controlNetWith();
    const canny = await pipeline.generate({ image: square, prompt: 'a', edges: 'canny', seed: 1, steps: 1 });
    expect(canny.parameters.edges).toBe('canny');
    // The mock detector maps any image to 68 (sigmoid(−1)); Canny finds the square's outline.
    expect(new Set(canny.hint.data)).toEqual(new Set([68, 255]));
    expect(canny.hint.data[0]).toBe(68);
    const backend = mockK3dBackend('controlnet');
    const bare = await ControlNetPipeline.create({
      backend,
      folder: await ModelFolder.open(mockK3dFiles('controlnet', { withoutHed: true })),
      tokenizer: mockTokenizer,
    });
    const withoutHed = await bare.generate({ image: square, prompt: 'a', edges: 'canny', seed: 1, steps: 1 });
    expect(new Set(withoutHed.hint.data)).toEqual(new Set([0, 255]));
    expect(backend.loads.map((load) => load.model)).not.toContain('hed/model.onnx');
    await expect(bare.generate({ image: square, prompt: 'a', seed: 1, steps: 1 })).rejects.toMatchObject({
      code: 'INVALID_MODEL_MANIFEST',
      hint: expect.stringContaining('canny'),
    });
  });

  it('takes a ready hint as is', async () => {
    const { pipeline } = await controlNetWith();
    const canny = await pipeline.generate({ image, prompt: 'a', edges: 'canny', seed: 1, steps: 1 });
    const again = await pipeline.generate({ hint: canny.hint, prompt: 'a', seed: 1, steps: 1 });
    expect(again.parameters.edges).toBe('hint');
    expect(again.hint).toBe(canny.hint);
  });

  it('ControlNet + image → image runs the strength tail of the schedule', async () => {
    const timesteps: number[] = [];
    const { pipeline } = await controlNetWith((feeds) => timesteps.push((feeds.timestep!.data as Float32Array)[0]!));
    const result = await pipeline.generate({ image, prompt: 'a', strength: 0.4, steps: 10, seed: 1 });
    expect(timesteps).toEqual([301, 201, 101, 1]);
    expect(result.parameters).toMatchObject({ strength: 0.4, steps: 4, timesteps: [301, 201, 101, 1] });
  });

  it('rejects bad input before loading any model', async () => {
    const { pipeline, backend } = await controlNetWith();
    const small = createRgbImage(32, 32);
    const cases: [Parameters<ControlNetPipeline['generate']>[0], string, string][] = [
      [{ prompt: 'a' }, 'INVALID_ARGUMENT', 'Neither image nor hint'],
      [{ prompt: 'a', image, hint: image }, 'INVALID_ARGUMENT', 'Both image and hint'],
      [{ prompt: 'a', hint: small, width: 64, height: 64 }, 'SHAPE_MISMATCH', 'The hint is 32×32 but the output is 64×64'],
      [{ prompt: 'a', image: small }, 'INVALID_ARGUMENT', 'width 32 is not a multiple of 64'],
      [{ prompt: 'a', image, edges: 'sobel' as never }, 'INVALID_ARGUMENT', 'edges "sobel"'],
      [{ prompt: 'a', image, edges: 'canny', canny: { lowThreshold: -3 } }, 'INVALID_ARGUMENT', 'lowThreshold -3'],
      [{ prompt: 'a', hint: image, strength: 0.5 }, 'INVALID_ARGUMENT', 'strength was given without an image'],
      [{ prompt: 'a', image, strength: 2 }, 'INVALID_STRENGTH', '2'],
      [{ prompt: 'a', image, guidanceScale: -1 }, 'INVALID_ARGUMENT', 'guidanceScale'],
    ];
    for (const [options, code, message] of cases) {
      await expect(pipeline.generate({ ...options, seed: 1 }), message).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
    }
    expect(backend.loads).toHaveLength(0);
  });

  it('rejects an IP-Adapter folder, and aborts leaving no session or run behind', async () => {
    const backend = mockK3dBackend('controlnet');
    await expect(
      ControlNetPipeline.create({ backend, folder: await ModelFolder.open(mockK3dFiles('ip')), tokenizer: mockTokenizer }),
    ).rejects.toMatchObject({ code: 'INVALID_MODEL_MANIFEST', message: expect.stringContaining('not a ControlNet folder') });
    const { pipeline, backend: used } = await controlNetWith(undefined, true);
    const controller = new AbortController();
    const run = pipeline.generate({
      image,
      prompt: 'a',
      seed: 1,
      steps: 10,
      signal: controller.signal,
      onProgress: (event) => event.type === 'step' && event.index === 1 && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(used.pendingRunCount).toBe(0);
    await pipeline.components.dispose();
    expect(used.liveSessions).toBe(0);
  });

  it('v2: runs the ControlNet on the CFG batch and feeds its residuals × controlScale inside the window', async () => {
    const unetFeeds: Record<string, Tensor>[] = [];
    const controlFeeds: Record<string, Tensor>[] = [];
    const backend = mockControlNetV2Backend({ onUnet: (feeds) => unetFeeds.push({ ...feeds }), onControlNet: (feeds) => controlFeeds.push({ ...feeds }) });
    const folder = await ModelFolder.open(mockK3dFiles('controlnet', { v2: true }));
    const pipeline = await ControlNetPipeline.create({ backend, folder, tokenizer: mockTokenizer });
    // 10 steps, window ⌊10·0.2⌋ = 2 … ⌊10·0.5⌋ = 5 (spec §4.7 v2 step 2).
    const result = await pipeline.generate({ image, prompt: 'a red circle', seed: 1, steps: 10, controlScale: 0.5, controlStart: 0.2, controlEnd: 0.5 });
    expect(unetFeeds).toHaveLength(10);
    expect(unetFeeds[0]!.hint).toBeUndefined();
    const timesteps = [901, 801, 701, 601, 501, 401, 301, 201, 101, 1];
    unetFeeds.forEach((feeds, step) => {
      RESIDUAL_CHANNELS.forEach((channels, k) => {
        const residual = feeds[`down_res_${k}`]!;
        expect(residual.dims).toEqual([2, channels, 8 >> (k + 1), 8 >> (k + 1)]);
        const expected = step >= 2 && step <= 5 ? 0.5 * ((k + 1) * 1000 + timesteps[step]!) : 0;
        expect((residual.data as Float32Array).every((value) => value === Math.fround(expected)), `step ${step} residual ${k}`).toBe(true);
      });
    });
    // Run inside the window, plus once at step 0 for the residual shapes; same batch as the UNet.
    expect(controlFeeds.map((feeds) => (feeds.timestep!.data as Float32Array)[0])).toEqual([901, 701, 601, 501, 401]);
    expect(controlFeeds[0]!.hint!.dims).toEqual([2, 3, 64, 64]);
    expect(controlFeeds[0]!.encoder_hidden_states).toEqual(unetFeeds[0]!.encoder_hidden_states);
    expect(result.parameters.control).toEqual({ scale: 0.5, start: 0.2, end: 0.5 });
    await pipeline.components.dispose();
    expect(backend.liveSessions).toBe(0);
    const lowMemory = await ControlNetPipeline.create({ backend, folder, tokenizer: mockTokenizer, lowMemory: true });
    await lowMemory.generate({ image, prompt: 'a', seed: 1, steps: 2 });
    expect(backend.liveSessions).toBe(0);
  });

  it('v2: checks the control options before loading; v1 warns that it ignores them', async () => {
    const backend = mockControlNetV2Backend({});
    const pipeline = await ControlNetPipeline.create({ backend, folder: await ModelFolder.open(mockK3dFiles('controlnet', { v2: true })), tokenizer: mockTokenizer });
    for (const [options, message] of [
      [{ controlScale: Number.NaN }, 'controlScale NaN'],
      [{ controlStart: -0.1 }, 'controlStart -0.1 is not in [0, 1]'],
      [{ controlStart: 0.8, controlEnd: 0.2 }, 'controlStart 0.8 is after controlEnd 0.2'],
    ] as const) {
      await expect(pipeline.generate({ image, prompt: 'a', seed: 1, ...options })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(message) });
    }
    expect(backend.loads).toHaveLength(0);
    const { pipeline: v1 } = await controlNetWith();
    const events: ProgressEvent[] = [];
    const result = await v1.generate({ image, prompt: 'a', seed: 1, steps: 1, controlScale: 0.5, onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'warning')).toEqual([expect.objectContaining({ code: 'OPTION_IGNORED', message: expect.stringContaining('controlScale') })]);
    expect(result.parameters.control).toBeUndefined();
  });
});
