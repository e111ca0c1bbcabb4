import {
  createRgbImage,
  createTensor,
  imagesToTensor,
  interpolate,
  TorchGenerator,
  type ProgressEvent,
  type RgbImage,
  type Tensor,
} from '@kandinsky/core';
import type { MockBackend } from '@kandinsky/core/testing';
import { describe, expect, it } from 'vitest';
import { KandiSuperRes } from './kandisuperres.js';
import { lowresEchoBackend, mockSuperResFolder, SR_UNET } from './test-support/mock-sr.js';

/** spec §3.5, measured constants of the cosine schedule at t = 229: √ᾱ, √(1−ᾱ). */
const SQRT_ALPHA_229 = 0.93208;
const SQRT_ONE_MINUS_ALPHA_229 = 0.362252;

const ENCODER = 'movq_encoder/model.onnx';
const DECODER = 'movq_decoder/model.onnx';
const FLASH_UNET = 'unet_flash/model.onnx';
const CONTEXT_LENGTH = 6;
const CONTEXT_DIM = 5;

/** A shipped refiner context like weights/context.pt: distinct rows, mask [1, 0, …, 0]. */
const CONTEXT = Float32Array.from({ length: CONTEXT_LENGTH * CONTEXT_DIM }, (_, i) => Math.sin(i + 1));
const MASK = BigInt64Array.from({ length: CONTEXT_LENGTH }, (_, i) => (i === 0 ? 1n : 0n));

const FLASH_CONFIG = { scale: 2, flash_timesteps: [979, 729, 479, 229] };

function refinerFolder(roles = ['unet_flash', 'movq_encoder', 'movq_decoder', 'refiner_context']) {
  const all: Record<string, string | Uint8Array> = {
    'unet_flash/config.json': JSON.stringify({ kind: 'unet', variant: 'flash', context_dim: CONTEXT_DIM }),
    'movq_encoder/config.json': JSON.stringify({ kind: 'movq_encoder' }),
    'movq_decoder/config.json': JSON.stringify({ kind: 'movq_decoder' }),
    'refiner_context/config.json': JSON.stringify({ kind: 'refiner_context', context_length: CONTEXT_LENGTH, context_dim: CONTEXT_DIM }),
    'refiner_context/context.bin': new Uint8Array(CONTEXT.buffer.slice(0)),
    'refiner_context/context_mask.bin': new Uint8Array(MASK.buffer.slice(0)),
  };
  return mockSuperResFolder(FLASH_CONFIG, undefined, {
    components: Object.fromEntries(roles.map((role) => [role, role])),
    files: Object.fromEntries(Object.entries(all).filter(([path]) => roles.some((role) => path.startsWith(`${role}/`)))),
  });
}

/** Mock MoVQ encoder: latent channel c = mean of the 8 × 8 block of image channel c mod 3 (channel 3 halved). */
function encodeBlocks(image: Tensor<'float32'>): Float64Array {
  const [, , height, width] = image.dims as [number, number, number, number];
  const h = height / 8;
  const w = width / 8;
  const latent = new Float64Array(4 * h * w);
  for (let c = 0; c < 4; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) sum += image.data[((c % 3) * height + y * 8 + dy) * width + x * 8 + dx]!;
        latent[(c * h + y) * w + x] = (sum / 64) * (c === 3 ? 0.5 : 1);
      }
    }
  }
  return latent;
}

interface RefinerRun {
  encoderInputs: number[][];
  unetInputs: Array<{ dims: number[]; sample: Float32Array; timestep: number; context: Float32Array; mask: bigint[] }>;
  decoderInputs: number[][];
}

/**
 * A MockBackend with the echo SR UNet (x0 = lowres), the block-mean encoder, a decoder that
 * repeats latent channels 0–2 over 8 × 8 pixels, and a Flash UNet whose ε makes x0 = k for
 * the k-th refiner tile (from the spec's √ᾱ, √(1−ᾱ) at t = 229).
 */
function refinerBackend(run: RefinerRun, options: Parameters<typeof lowresEchoBackend>[0] = {}): MockBackend {
  return lowresEchoBackend(options)
    .register(ENCODER, {
      inputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
      outputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
      compute: (feeds) => {
        const image = feeds.image as Tensor<'float32'>;
        run.encoderInputs.push([...image.dims]);
        const [, , height, width] = image.dims as number[];
        return { latent: createTensor('float32', [1, 4, height! / 8, width! / 8], Float32Array.from(encodeBlocks(image))) };
      },
    })
    .register(FLASH_UNET, {
      inputs: [
        { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
        { name: 'timestep', dtype: 'float32', dims: ['B'] },
        { name: 'encoder_hidden_states', dtype: 'float32', dims: ['B', 'L', 'D'] },
        { name: 'encoder_attention_mask', dtype: 'int64', dims: ['B', 'L'] },
      ],
      outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
      compute: (feeds) => {
        const sample = feeds.sample as Tensor<'float32'>;
        const k = run.unetInputs.length;
        run.unetInputs.push({
          dims: [...sample.dims],
          sample: sample.data.slice(),
          timestep: (feeds.timestep as Tensor<'float32'>).data[0]!,
          context: (feeds.encoder_hidden_states as Tensor<'float32'>).data.slice(),
          mask: Array.from((feeds.encoder_attention_mask as Tensor<'int64'>).data),
        });
        const epsilon = sample.data.map((x) => (x - SQRT_ALPHA_229 * k) / SQRT_ONE_MINUS_ALPHA_229);
        return { noise_pred: createTensor('float32', sample.dims, epsilon) };
      },
    })
    .register(DECODER, {
      inputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
      outputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
      compute: (feeds) => {
        const latent = feeds.latent as Tensor<'float32'>;
        run.decoderInputs.push([...latent.dims]);
        const [, , h, w] = latent.dims as [number, number, number, number];
        const image = createTensor('float32', [1, 3, h * 8, w * 8]);
        for (let c = 0; c < 3; c++) {
          for (let y = 0; y < h * 8; y++) {
            for (let x = 0; x < w * 8; x++) image.data[(c * h * 8 + y) * w * 8 + x] = latent.data[(c * h + (y >> 3)) * w + (x >> 3)]!;
          }
        }
        return { image };
      },
    });
}

function pattern(width: number, height: number): RgbImage {
  const image = createRgbImage(width, height);
  for (let index = 0; index < image.data.length; index++) image.data[index] = (index * 29 + (index >> 6) * 13) % 256;
  return image;
}

const newRun = (): RefinerRun => ({ encoderInputs: [], unetInputs: [], decoderInputs: [] });

describe('KandiSuperRes Flash ×2 latent refiner (spec §4.8.3 step 3) on MockBackend', () => {
  it('encodes, refines 352-latent tiles at t = 229 with the shipped context, and decodes in tiles', async () => {
    const run = newRun();
    const backend = refinerBackend(run);
    const sr = await KandiSuperRes.create({ backend, folder: await refinerFolder() });
    expect(sr.hasRefiner).toBe(true);
    // 1536 × 64 (multiples of 32, no cut) → 3072 × 128 canvas → 384 × 16 latent.
    const image = pattern(1536, 64);
    const events: ProgressEvent[] = [];
    const { image: output, parameters } = await sr.upscale({ image, flash: true, seed: 3, onProgress: (event) => events.push(event) });
    expect(parameters).toMatchObject({ flash: true, refine: true, scale: 2, steps: 4 });

    // MoVQ encode: 1024-px tiles, no overlap (spec §2.6): x at 0, 1024, 2048.
    expect(run.encoderInputs).toEqual(Array(3).fill([1, 3, 128, 1024]));
    // Refiner: latent tiles of 352 every 264 (spec §4.8.3 step 3b): x at 0 (352 wide) and 264 (120 wide).
    expect(run.unetInputs.map((call) => call.dims)).toEqual([
      [1, 4, 16, 352],
      [1, 4, 16, 120],
    ]);
    expect(run.unetInputs.map((call) => call.timestep)).toEqual([229, 229]);
    for (const call of run.unetInputs) {
      expect(call.context).toEqual(CONTEXT);
      expect(call.mask).toEqual(Array.from(MASK));
    }
    // MoVQ decode: 128-latent tiles every 96 (spec §2.6): x at 0, 96, 192, 288.
    expect(run.decoderInputs).toEqual([
      [1, 4, 16, 128],
      [1, 4, 16, 128],
      [1, 4, 16, 128],
      [1, 4, 16, 96],
    ]);

    // The first tile: x_229 = √ᾱ·latent + √(1−ᾱ)·z with the spec's constants, where latent encodes
    // the SR output (x0 = lowres for the echo model) and z is the seed's draw after the SR loop's
    // five (x0, then z at 979, 729, 479, 229).
    const lowres = interpolate(imagesToTensor(image), { width: 3072, height: 128, mode: 'bilinear', alignCorners: false });
    const latent = encodeBlocks(lowres);
    const generator = new TorchGenerator(3);
    for (let draw = 0; draw < 5; draw++) generator.randn([1, 3, 128, 3072]);
    const z = generator.randn([1, 4, 16, 352]).data;
    let worst = 0;
    for (let c = 0; c < 4; c++) {
      for (let y = 0; y < 16; y++) {
        for (let x = 0; x < 352; x++) {
          const at = (c * 16 + y) * 352 + x;
          const expected = SQRT_ALPHA_229 * latent[(c * 16 + y) * 384 + x]! + SQRT_ONE_MINUS_ALPHA_229 * z[at]!;
          worst = Math.max(worst, Math.abs(run.unetInputs[0]!.sample[at]! - expected));
        }
      }
    }
    expect(worst).toBeLessThan(1e-5);

    // Tile k's x0 is k: the refined latent is 0 up to column 264, ramps linearly over the 88
    // columns the second tile fades in (spec: "vertical then horizontal linear ramps"), then 1;
    // the decoder repeats it over 8 px and the output is clip((x + 1)/2), truncated to bytes.
    expect([output.width, output.height]).toEqual([3072, 128]);
    let worstByte = 0;
    for (let x = 0; x < 3072; x++) {
      const column = x >> 3;
      const value = column < 264 ? 0 : column < 352 ? (column - 264) / 88 : 1;
      const expected = Math.trunc(((value + 1) / 2) * 255);
      for (const y of [0, 127]) for (let c = 0; c < 3; c++) worstByte = Math.max(worstByte, Math.abs(output.data[(y * 3072 + x) * 3 + c]! - expected));
    }
    expect(worstByte).toBeLessThanOrEqual(1);

    const stages = events.filter((event) => event.type === 'stage' && event.status === 'start').map((event) => event.type === 'stage' && event.stage);
    expect(stages).toEqual(['load-model', 'upscale', 'load-model', 'load-model', 'load-model', 'encode-image', 'refine', 'decode']);
    await sr.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('skips the refiner with refine: false', async () => {
    const run = newRun();
    const backend = refinerBackend(run);
    const sr = await KandiSuperRes.create({ backend, folder: await refinerFolder() });
    const { parameters } = await sr.upscale({ image: pattern(64, 32), flash: true, refine: false });
    expect(parameters.refine).toBe(false);
    expect(backend.runsOf(SR_UNET).length).toBe(4);
    expect(run.encoderInputs.length + run.unetInputs.length + run.decoderInputs.length).toBe(0);
    await sr.dispose();
  });

  it('stops on abort inside the refiner and releases every session', async () => {
    const run = newRun();
    const backend = refinerBackend(run);
    const sr = await KandiSuperRes.create({ backend, folder: await refinerFolder() });
    const controller = new AbortController();
    const upscale = sr.upscale({
      image: pattern(1536, 64),
      flash: true,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'stage' && event.stage === 'refine' && event.status === 'start') controller.abort();
      },
    });
    await expect(upscale).rejects.toMatchObject({ code: 'ABORTED' });
    expect(run.unetInputs.length).toBe(0);
    expect(backend.liveSessions).toBe(0);
  });

  it('refuses a partial refiner folder and refine where it cannot run', async () => {
    await expect(
      KandiSuperRes.create({ backend: refinerBackend(newRun()), folder: await refinerFolder(['unet_flash', 'movq_encoder']) }),
    ).rejects.toMatchObject({ code: 'INVALID_MODEL_MANIFEST', message: /movq_decoder/ });
    const backend = refinerBackend(newRun());
    const plainFlash = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder(FLASH_CONFIG) });
    expect(plainFlash.hasRefiner).toBe(false);
    await expect(plainFlash.upscale({ image: pattern(64, 32), flash: true, refine: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /refine/,
    });
    const withRefiner = await KandiSuperRes.create({ backend, folder: await refinerFolder() });
    await expect(withRefiner.upscale({ image: pattern(64, 32), scale: 2, refine: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /refine/,
    });
    expect(backend.loads.length).toBe(0);
  });
});
