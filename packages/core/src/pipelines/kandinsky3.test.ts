import { describe, expect, it } from 'vitest';
import { ModelFolder } from '../model/model-folder.js';
import type { ProgressEvent } from '../events/progress-event.js';
import type { Tensor } from '../tensor/tensor.js';
import { createRgbImage } from '../image/rgb-image.js';
import { Kandinsky3 } from './kandinsky3.js';
import { NULL_EMBEDDING, WIDTH, mockBackend, mockFiles, mockTokenizer } from './test-support/mock-kandinsky3.js';

async function pipelineWith(options: Parameters<typeof mockBackend>[0] = {}, lowMemory = false, convention: 'A' | 'B' = 'A') {
  const backend = mockBackend(options);
  const folder = await ModelFolder.open(mockFiles(convention));
  const pipeline = await Kandinsky3.create({ backend, folder, tokenizer: mockTokenizer, lowMemory });
  return { backend, pipeline };
}

describe('Kandinsky3 (mock models)', () => {
  it('builds the convention-A CFG batch: cut context, [cond, uncond] with the null embedding', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (_, feeds) => seen.push({ ...feeds }) });
    const events: ProgressEvent[] = [];
    const result = await pipeline.textToImage({ prompt: 'a red circle', seed: 7, steps: 10, onProgress: (e) => events.push(e) });
    expect(result.seeds).toEqual([7]);
    expect(result.images[0]).toMatchObject({ width: 64, height: 64 });
    expect(result.parameters).toMatchObject({ steps: 10, sampler: 'Kandinsky3Sampler', guidanceScale: 3, width: 64 });
    expect(seen).toHaveLength(10);
    const first = seen[0]!;
    // "a red circle" = 3 tokens + EOS → n = 4, L = 5 (spec §4.1 step 4).
    expect(first.encoder_hidden_states!.dims).toEqual([2, 5, WIDTH]);
    expect(Array.from(first.encoder_attention_mask!.data as BigInt64Array)).toEqual([1n, 1n, 1n, 1n, 0n, 1n, 0n, 0n, 0n, 0n]);
    const context = first.encoder_hidden_states!.data as Float32Array;
    // cond row 0 = projection(encoder(id 3)) = 2·(3 + d/10); pad row 4 zeroed; uncond row 0 = null embedding.
    expect(Array.from(context.subarray(0, WIDTH))).toEqual([6, 6.2, 6.4, 6.6].map(Math.fround));
    expect(Array.from(context.subarray(4 * WIDTH, 5 * WIDTH))).toEqual([0, 0, 0, 0]);
    expect(Array.from(context.subarray(5 * WIDTH, 6 * WIDTH))).toEqual(Array.from(NULL_EMBEDDING));
    expect(Array.from(context.subarray(6 * WIDTH, 10 * WIDTH)).every((v) => v === 0)).toBe(true);
    expect(Array.from(first.timestep!.data as Float32Array)).toEqual([999, 999]);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.map((e) => (e as { timestep: number }).timestep)).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    const stages = events.filter((e) => e.type === 'stage').map((e) => `${(e as { stage: string }).stage}:${(e as { status: string }).status}`);
    expect(stages).toContain('encode-prompt:start');
    expect(stages.filter((s) => s.endsWith(':start')).length).toBe(stages.filter((s) => s.endsWith(':end')).length);
  });

  it('encodes a negative prompt truncated to the positive length with EOS forced (spec §4.1 A.5)', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (_, feeds) => seen.push({ ...feeds }) });
    await pipeline.textToImage({ prompt: 'a red circle', negativePrompt: 'blurry white square on background', seed: 1, steps: 2 });
    const context = seen[0]!.encoder_hidden_states!.data as Float32Array;
    const row = (item: number, index: number) => context[(item * 5 + index) * WIDTH];
    // negative ids: blurry(11) white(9) square(7) then EOS(1) forced at n−1 = 3; mask = positive's.
    expect([row(1, 0), row(1, 1), row(1, 2), row(1, 3), row(1, 4)]).toEqual([22, 18, 14, 2, 0]);
    expect(Array.from(seen[0]!.encoder_attention_mask!.data as BigInt64Array).slice(5)).toEqual([1n, 1n, 1n, 1n, 0n]);
  });

  it('derives one seed per image and keeps them reproducible', async () => {
    const { pipeline } = await pipelineWith();
    const result = await pipeline.textToImage({ prompt: 'a', seed: 10, count: 3, steps: 1 });
    expect(result.seeds).toEqual([10, 11, 12]);
    const explicit = await pipeline.textToImage({ prompt: 'a', seeds: [5, 2], steps: 1 });
    expect(explicit.seeds).toEqual([5, 2]);
  });

  it('runs Flash with 4 unguided calls and reports ignored options', async () => {
    const seen: string[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (role, feeds) => seen.push(`${role}:${feeds.sample!.dims[0]}`) });
    const events: ProgressEvent[] = [];
    const result = await pipeline.flash({ prompt: 'a blue square', negativePrompt: 'x', guidanceScale: 5, seed: 3, onProgress: (e) => events.push(e) });
    expect(seen).toEqual(['unet_flash:1', 'unet_flash:1', 'unet_flash:1', 'unet_flash:1']);
    expect(result.parameters).toMatchObject({ mode: 'flash', steps: 4, guidanceScale: undefined, timesteps: [979, 729, 479, 229] });
    const warnings = events.filter((e) => e.type === 'warning');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ code: 'OPTION_IGNORED', message: expect.stringContaining('negativePrompt') });
  });

  it('runs Flash with diffusers\' LCM at a chosen step count, unguided, and records it', async () => {
    const seen: string[] = [];
    const { backend, pipeline } = await pipelineWith({
      onUnet: (role, feeds) => seen.push(`${role}:${feeds.sample!.dims[0]}:${(feeds.timestep!.data as Float32Array)[0]}`),
    });
    const events: ProgressEvent[] = [];
    const result = await pipeline.flash({ prompt: 'a blue square', seed: 3, scheduler: 'lcm', steps: 3, onProgress: (e) => events.push(e) });
    // LCM over original_inference_steps 50: origin timesteps 999, 979, …, 19; indices ⌊linspace(0, 50, 3)⌋ = 0, 16, 33.
    expect(seen).toEqual(['unet_flash:1:999', 'unet_flash:1:679', 'unet_flash:1:339']);
    expect(result.parameters).toMatchObject({ mode: 'flash', steps: 3, sampler: 'LCMScheduler', timesteps: [999, 679, 339] });
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
    // The default count is Flash's 4.
    expect((await pipeline.flash({ prompt: 'a', seed: 1, scheduler: 'LCMScheduler' })).parameters.steps).toBe(4);
    await pipeline.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('refuses Flash with a scheduler other than its own or LCM, and a config without LCM', async () => {
    const { backend, pipeline } = await pipelineWith();
    const codeOf = (promise: Promise<unknown>) =>
      promise.then(
        () => 'resolved',
        (error: { code?: string; message: string }) => `${error.code}: ${error.message}`,
      );
    expect(await codeOf(pipeline.flash({ prompt: 'a', scheduler: 'euler' as never }))).toMatch(/^INVALID_ARGUMENT: .*scheduler.*"euler"/);
    expect(await codeOf(pipeline.flash({ prompt: 'a', scheduler: 'kandinsky' as never }))).toMatch(/^INVALID_ARGUMENT: .*"kandinsky"/);
    expect(await codeOf(pipeline.flash({ prompt: 'a', schedulerConfig: { original_inference_steps: 100 } }))).toMatch(
      /^INVALID_ARGUMENT: .*schedulerConfig/,
    );
    expect(await codeOf(pipeline.flash({ prompt: 'a', scheduler: 'lcm', steps: 0 }))).toMatch(/^INVALID_STEPS: .*\b0\b/);
    expect(await codeOf(pipeline.flash({ prompt: 'a', scheduler: 'lcm', schedulerConfig: [] as never }))).toMatch(/^INVALID_ARGUMENT: .*schedulerConfig/);
    expect(backend.runs.filter((r) => r.role.startsWith('unet'))).toEqual([]);
    await pipeline.dispose();
  });

  it('runs image-to-image over the strength tail of the schedule', async () => {
    const seen: number[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (_, feeds) => seen.push((feeds.timestep!.data as Float32Array)[0]!) });
    const image = createRgbImage(64, 64);
    const result = await pipeline.imageToImage({ prompt: 'a', image, strength: 0.3, steps: 10, seed: 1 });
    expect(seen).toEqual([299, 199, 99]);
    expect(result.parameters).toMatchObject({ mode: 'image-to-image', strength: 0.3, steps: 3 });
    await expect(pipeline.imageToImage({ prompt: 'a', image, strength: 1.5 })).rejects.toMatchObject({
      code: 'INVALID_STRENGTH',
      message: expect.stringContaining('1.5'),
    });
  });

  it('uses the diffusers scheduler and [uncond, cond] order for convention B', async () => {
    const seen: Record<string, Tensor>[] = [];
    const { pipeline } = await pipelineWith({ onUnet: (_, feeds) => seen.push({ ...feeds }) }, false, 'B');
    const result = await pipeline.textToImage({ prompt: 'a red circle', seed: 1, steps: 5 });
    expect(result.parameters.sampler).toBe('DDPMScheduler');
    expect(result.parameters.timesteps).toEqual([801, 601, 401, 201, 1]);
    // uncond first: zeros with an all-zero mask; cond second: raw encoder states (no projection).
    expect(Array.from(seen[0]!.encoder_attention_mask!.data as BigInt64Array)).toEqual([0n, 0n, 0n, 0n, 0n, 1n, 1n, 1n, 1n, 0n]);
    expect((seen[0]!.encoder_hidden_states!.data as Float32Array)[5 * WIDTH]).toBeCloseTo(3);
    const unguided: number[] = [];
    const b = await pipelineWith({ onUnet: (_, feeds) => unguided.push(feeds.sample!.dims[0]!) }, false, 'B');
    await b.pipeline.textToImage({ prompt: 'a', seed: 1, steps: 2, guidanceScale: 1 });
    expect(unguided).toEqual([1, 1]);
  });

  it('rejects bad sizes naming them, and rounds up on request', async () => {
    const { pipeline } = await pipelineWith();
    await expect(pipeline.textToImage({ prompt: 'a', width: 100, steps: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('width 100 is not a multiple of 64'),
      hint: expect.stringContaining('64 or 128'),
    });
    const rounded = await pipeline.textToImage({ prompt: 'a', width: 100, roundSize: true, steps: 1, seed: 0 });
    expect(rounded.images[0]!.width).toBe(128);
    await expect(pipeline.textToImage({ prompt: 'a', seed: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pipeline.textToImage({ prompt: 'a', count: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pipeline.textToImage({ prompt: 'a', steps: 0 })).rejects.toMatchObject({ code: 'INVALID_STEPS' });
  });

  it('aborts between steps with an AbortError and stays usable', async () => {
    const { pipeline, backend } = await pipelineWith();
    const controller = new AbortController();
    const run = pipeline.textToImage({
      prompt: 'a',
      seed: 1,
      steps: 10,
      signal: controller.signal,
      onProgress: (event) => event.type === 'step' && event.index === 2 && controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(backend.pendingRunCount).toBe(0);
    const next = await pipeline.textToImage({ prompt: 'a', seed: 1, steps: 2 });
    expect(next.images).toHaveLength(1);
    await pipeline.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('emits decoded previews of the x0 estimate every previewEvery steps', async () => {
    for (const sampler of ['original', 'scheduler'] as const) {
      const { pipeline } = await pipelineWith();
      const previews: ProgressEvent[] = [];
      await pipeline.textToImage({
        prompt: 'a',
        seed: 1,
        steps: 6,
        sampler,
        previewEvery: 2,
        onProgress: (event) => event.type === 'preview' && previews.push(event),
      });
      expect(previews.map((event) => (event as { step: number }).step)).toEqual([1, 3, 5]);
      expect(previews[0]).toMatchObject({ stage: 'denoise', image: { width: 64, height: 64 } });
    }
  });

  it('releases every session after each stage in low-memory mode', async () => {
    const { pipeline, backend } = await pipelineWith({}, true);
    await pipeline.textToImage({ prompt: 'a', seed: 1, steps: 2 });
    expect(backend.liveSessions).toBe(0);
  });

  it('reports a UNet that breaks its contract, leaking nothing', async () => {
    const { pipeline, backend } = await pipelineWith({ dropMaskInput: true });
    await expect(pipeline.textToImage({ prompt: 'a', seed: 1, steps: 2 })).rejects.toMatchObject({
      code: 'MODEL_CONTRACT_MISMATCH',
      message: expect.stringContaining('missing input "encoder_attention_mask"'),
    });
    await pipeline.dispose();
    expect(backend.liveSessions).toBe(0);
  });
});
