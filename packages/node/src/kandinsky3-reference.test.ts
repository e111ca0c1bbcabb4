import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEXT_ENCODER_CONTRACT,
  TEXT_PROJECTION_CONTRACT,
  TorchGenerator,
  createTensor,
  encodePrompt,
  tensorToImages,
  tokenizePrompt,
  type Backend,
  type Kandinsky3,
  type ModelSession,
  type RgbImage,
  type Tensor,
} from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { loadKandinsky3 } from './load-kandinsky3.js';
import { openModelFolder } from './model-directory.js';
import { loadTokenizer } from './tokenizer.js';

const MODEL = tinyModelPath('kandinsky3-tiny');
const REFERENCE = join(MODEL, 'reference', 'pipeline-text-to-image.json');
const FLASH_REFERENCE = join(MODEL, 'reference', 'pipeline-flash.json');
/** How far the latent our pipeline decodes may be from PyTorch's: ~1e-6 measured (float32 drift over the steps). */
const LATENT_TOLERANCE = 1e-4;

interface TensorRef {
  dtype: 'float32' | 'int64' | 'uint8';
  dims: number[];
  file: string;
}

function load(ref: TensorRef): Float32Array | BigInt64Array | Uint8Array {
  const bytes = readFileSync(join(MODEL, 'reference', ref.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return ref.dtype === 'float32' ? new Float32Array(buffer) : ref.dtype === 'int64' ? new BigInt64Array(buffer) : new Uint8Array(buffer);
}

// The references are committed (models/tiny, made by tools/tiny-models/reference.py from the
// PyTorch pipeline): a missing file fails here instead of turning the comparison into a skip.
function readReference<T>(path: string): T & { tensors: Record<string, TensorRef> } {
  return JSON.parse(readFileSync(path, 'utf8')) as T & { tensors: Record<string, TensorRef> };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

interface TextToImageReference {
  prompt: string;
  seed: number;
  steps: number;
  guidance_scale: number;
}

/**
 * A CPU backend whose session for `label` runs through `run` (given the real session's run).
 */
async function backendWithRun(
  label: string,
  run: (feeds: Parameters<ModelSession['run']>[0], inner: ModelSession['run']) => ReturnType<ModelSession['run']>,
): Promise<Backend> {
  const inner = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
  return {
    name: inner.name,
    device: inner.device,
    capabilities: inner.capabilities,
    async loadModel(source, options) {
      const session = await inner.loadModel(source, options);
      if (options?.label !== label) return session;
      return {
        inputs: session.inputs,
        outputs: session.outputs,
        get disposed() {
          return session.disposed;
        },
        run: (feeds, runOptions) => run(feeds, (f) => session.run(f, runOptions)),
        dispose: () => session.dispose(),
      };
    },
  };
}

/**
 * A CPU backend whose movq_decoder answers with PyTorch's own decoder output. The pipeline's
 * float → byte step then sees exactly the floats PyTorch converted, so its bytes must equal
 * PyTorch's: the UNet's float drift (the ≤ 1 of 255 allowed above) cannot hide a rounding swap.
 * The latent the pipeline decodes is kept for a check that it is PyTorch's image being decoded.
 */
async function backendDecodingTo(decoded: Tensor<'float32'>): Promise<{ backend: Backend; latents: Tensor[] }> {
  const latents: Tensor[] = [];
  const backend = await backendWithRun('movq_decoder', async (feeds) => {
    latents.push(feeds.latent!);
    return { image: createTensor('float32', decoded.dims, decoded.data.slice()) };
  });
  return { backend, latents };
}

/**
 * The decode rounding of the README (spec §3.9): convention A and Flash truncate like the
 * ai-forever code (`ToPILImage`, `x.mul(255).byte()`), diffusers rounds. One image each, byte
 * for byte against PyTorch's uint8 image made from PyTorch's decoder output.
 */
async function expectPyTorchBytes(
  referencePath: string,
  generate: (pipeline: Kandinsky3, reference: TextToImageReference) => Promise<{ images: RgbImage[] }>,
): Promise<void> {
  const reference = readReference<TextToImageReference>(referencePath);
  const { tensors } = reference;
  const decoded = createTensor('float32', tensors.decoded!.dims, load(tensors.decoded!) as Float32Array);
  const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
  // The image tells the two conventions apart: rounding PyTorch's floats gives other bytes.
  expect(Buffer.from(tensorToImages(decoded, { rounding: 'round' })[0]!.data).equals(Buffer.from(expected))).toBe(false);
  expect(Buffer.from(tensorToImages(decoded, { rounding: 'truncate' })[0]!.data).equals(Buffer.from(expected))).toBe(true);

  const { backend, latents } = await backendDecodingTo(decoded);
  const pipeline = await loadKandinsky3(MODEL, { backend });
  try {
    const { images } = await generate(pipeline, reference);
    expect(latents).toHaveLength(1);
    expect(maxAbsDifference(latents[0]!.data as Float32Array, load(tensors.latent_final!) as Float32Array)).toBeLessThan(LATENT_TOLERANCE);
    const actual = images[0]!.data;
    let differing = 0;
    for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) differing++;
    expect(differing, `${differing} of ${expected.length} bytes differ from PyTorch's`).toBe(0);
  } finally {
    await pipeline.dispose();
  }
}

describe('PyTorch whole-pipeline reference (text → image, convention A, original sampler)', () => {
  it('matches stage by stage: token ids, contexts, initial noise', async () => {
    const { prompt, seed, tensors } = readReference<TextToImageReference>(REFERENCE);
    const folder = await openModelFolder(MODEL);
    const tokenizer = await loadTokenizer(folder);
    const tokens = tokenizePrompt(tokenizer, prompt);
    expect(tokens.ids.map(BigInt)).toEqual(Array.from(load(tensors.input_ids!) as BigInt64Array));
    expect(tokens.mask.map(BigInt)).toEqual(Array.from(load(tensors.attention_mask!) as BigInt64Array));

    const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
    const encoder = await folder.loadSession(backend, 'text_encoder', TEXT_ENCODER_CONTRACT);
    const projection = await folder.loadSession(backend, 'text_projection', TEXT_PROJECTION_CONTRACT);
    const config = await folder.config('text_projection');
    const nullBytes = readFileSync(join(MODEL, folder.index.components.text_projection!, String(config.null_embedding)));
    const contexts = await encodePrompt(
      {
        tokenizer,
        encode: async (ids, mask) => (await encoder.run({ input_ids: ids, attention_mask: mask })).last_hidden_state as Tensor<'float32'>,
        project: async (hidden) => (await projection.run({ hidden })).context as Tensor<'float32'>,
        nullEmbedding: new Float32Array(nullBytes.buffer.slice(nullBytes.byteOffset, nullBytes.byteOffset + nullBytes.byteLength)),
      },
      { convention: 'A', prompt, withUnconditional: true },
    );
    expect(contexts.conditional.context.dims).toEqual(tensors.context!.dims);
    expect(maxAbsDifference(contexts.conditional.context.data, load(tensors.context!) as Float32Array)).toBeLessThan(1e-5);
    expect(Array.from(contexts.conditional.mask.data)).toEqual(Array.from(load(tensors.context_mask!), (v) => BigInt(v)));
    expect(maxAbsDifference(contexts.unconditional!.context.data, load(tensors.uncond_context!) as Float32Array)).toBe(0);
    await Promise.all([encoder.dispose(), projection.dispose()]);

    const initial = new TorchGenerator(seed).randn(tensors.initial_latent!.dims);
    expect(maxAbsDifference(initial.data, load(tensors.initial_latent!) as Float32Array)).toBe(0);
  });

  it('produces the reference image (within 1 of 255 per channel)', async () => {
    const { prompt, seed, steps, guidance_scale, tensors } = readReference<TextToImageReference>(REFERENCE);
    const pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
    const { images } = await pipeline.textToImage({ prompt, seed, steps, guidanceScale: guidance_scale });
    await pipeline.dispose();
    const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
    const difference = maxAbsDifference(images[0]!.data, expected);
    console.log(`[reference] text→image max |Δ| = ${difference} of 255 over ${expected.length} values`);
    expect(difference).toBeLessThanOrEqual(1);
  });

  it('truncates on decode: PyTorch\'s decoder output gives PyTorch\'s bytes exactly', async () => {
    await expectPyTorchBytes(REFERENCE, (pipeline, { prompt, seed, steps, guidance_scale }) =>
      pipeline.textToImage({ prompt, seed, steps, guidanceScale: guidance_scale }),
    );
  });
});

describe('PyTorch whole-pipeline reference (Flash, spec §3.5)', () => {
  it('produces the reference image (within 1 of 255 per channel)', async () => {
    const { prompt, seed, tensors } = readReference<{ prompt: string; seed: number }>(FLASH_REFERENCE);
    const pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
    const { images } = await pipeline.flash({ prompt, seed });
    await pipeline.dispose();
    const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
    const difference = maxAbsDifference(images[0]!.data, expected);
    console.log(`[reference] Flash max |Δ| = ${difference} of 255 over ${expected.length} values`);
    expect(difference).toBeLessThanOrEqual(1);
  });

  it('truncates on decode: PyTorch\'s decoder output gives PyTorch\'s bytes exactly', async () => {
    await expectPyTorchBytes(FLASH_REFERENCE, (pipeline, { prompt, seed }) => pipeline.flash({ prompt, seed }));
  });
});

/** A CPU backend that keeps every sample fed to `unet_flash`: the latent before each step. */
async function backendRecordingFlashSamples(): Promise<{ backend: Backend; samples: Float32Array[] }> {
  const samples: Float32Array[] = [];
  const backend = await backendWithRun('unet_flash', (feeds, run) => {
    samples.push((feeds.sample!.data as Float32Array).slice());
    return run(feeds);
  });
  return { backend, samples };
}

describe('PyTorch whole-pipeline reference (Flash UNet with diffusers\' LCMScheduler)', () => {
  for (const steps of [4, 6]) {
    const path = join(MODEL, 'reference', `pipeline-flash-lcm-${steps}.json`);
    it(`${steps} steps: the same timesteps, initial noise, latent after every step and image (within 1 of 255)`, async () => {
      const reference = readReference<{ prompt: string; seed: number; steps: number; timesteps: number[] }>(path);
      const { prompt, seed, tensors } = reference;
      expect(reference.steps).toBe(steps);
      const { backend, samples } = await backendRecordingFlashSamples();
      const pipeline = await loadKandinsky3(MODEL, { backend });
      try {
        const { images, parameters } = await pipeline.flash({ prompt, seed, scheduler: 'lcm', steps });
        expect(parameters.sampler).toBe('LCMScheduler');
        expect(parameters.steps).toBe(steps);
        expect(parameters.timesteps).toEqual(reference.timesteps);
        expect(samples).toHaveLength(steps);
        // The first sample is the seed's noise, bit for bit; each later one the step's x_{t−1}, where LCM's
        // fresh noise (drawn inside step from the same generator) must match too or the error would be O(1).
        expect(maxAbsDifference(samples[0]!, load(tensors.initial_latent!) as Float32Array)).toBe(0);
        for (let k = 1; k < steps; k++) {
          const difference = maxAbsDifference(samples[k]!, load(tensors[`latent_after_step_${k}`]!) as Float32Array);
          expect(difference, `latent after step ${k}`).toBeLessThan(LATENT_TOLERANCE);
        }
        const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
        const difference = maxAbsDifference(images[0]!.data, expected);
        console.log(`[reference] Flash + LCM ${steps} steps max |Δ| = ${difference} of 255 over ${expected.length} values`);
        expect(difference).toBeLessThanOrEqual(1);
      } finally {
        await pipeline.dispose();
      }
    });

    it(`${steps} steps: PyTorch's decoder output gives PyTorch's bytes exactly (truncating, like Flash)`, async () => {
      await expectPyTorchBytes(path, (pipeline, { prompt, seed }) => pipeline.flash({ prompt, seed, scheduler: 'lcm', steps }));
    });
  }
});
