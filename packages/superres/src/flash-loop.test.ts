import {
  imagesToTensor,
  interpolate,
  resizeLikePillow,
  tensorToImages,
  TorchGenerator,
  createRgbImage,
  type RgbImage,
  type Tensor,
} from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { KandiSuperRes } from './kandisuperres.js';
import { lowresEchoBackend, mockSuperResFolder, SR_UNET } from './test-support/mock-sr.js';

const FLASH_CONFIG = { scale: 2, flash_timesteps: [979, 729, 479, 229] };

/** spec §3.7, measured constants (√ᾱ_t, √(1−ᾱ_t)) of the linear schedule. */
const SPEC_CONSTANTS: Record<number, [number, number]> = {
  979: [0.00776, 0.99997],
  729: [0.067212, 0.997739],
  479: [0.309506, 0.950897],
  229: [0.760162, 0.649733],
};

function pattern(width: number, height: number): RgbImage {
  const image = createRgbImage(width, height);
  for (let index = 0; index < image.data.length; index++) image.data[index] = (index * 29 + (index >> 4) * 13) % 256;
  return image;
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describe('KandiSuperRes Flash ×2 (spec §3.7, §4.8.3 without the refiner) on MockBackend', () => {
  it('runs the four re-noising steps on the whole canvas with the reference noise order', async () => {
    const samples: Float32Array[] = [];
    const timesteps: number[] = [];
    const backend = lowresEchoBackend({}, (feeds) => {
      samples.push((feeds.sample as Tensor<'float32'>).data.slice());
      timesteps.push((feeds.timestep as Tensor<'float32'>).data[0]!);
    });
    const sr = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder(FLASH_CONFIG) });
    const image = pattern(70, 40); // low res cut to 64 × 32 (multiples of 32), canvas 128 × 64
    const { image: output, parameters } = await sr.upscale({ image, flash: true, seed: 5 });
    expect(parameters).toMatchObject({ flash: true, scale: 2, steps: 4, views: 1 });
    expect(timesteps).toEqual([979, 729, 479, 229]);
    expect(backend.runsOf(SR_UNET).map((run) => run.feeds.sample!.dims)).toEqual(Array(4).fill([1, 3, 64, 128]));

    // x_979 = √ᾱ·x0 + √(1−ᾱ)·z with x0, z the first two torch.randn draws of the seed.
    const generator = new TorchGenerator(5);
    const x0 = generator.randn([1, 3, 64, 128]).data;
    const z = generator.randn([1, 3, 64, 128]).data;
    const [a979, b979] = SPEC_CONSTANTS[979]!;
    expect(maxDifference(samples[0]!, x0.map((value, i) => a979 * value + b979 * z[i]!))).toBeLessThan(1e-5);
    // The echo model returns lowres as x0; x_729 re-noises it with the third draw.
    const low = resizeLikePillow(image, { width: 64, height: 32 });
    const lowres = interpolate(imagesToTensor(low), { width: 128, height: 64, mode: 'bilinear', alignCorners: false }).data;
    const z3 = generator.randn([1, 3, 64, 128]).data;
    const [a729, b729] = SPEC_CONSTANTS[729]!;
    expect(maxDifference(samples[1]!, lowres.map((value, i) => a729 * value + b729 * z3[i]!))).toBeLessThan(1e-5);

    // Output: the last x0 (= lowres), resized with align_corners=True to exactly 2 × the input.
    expect([output.width, output.height]).toEqual([140, 80]);
    const expected = tensorToImages(
      interpolate(imagesToTensor(tensorToImages({ dtype: 'float32', dims: [1, 3, 64, 128], data: lowres }, { rounding: 'truncate' })[0]!), {
        width: 140,
        height: 80,
        mode: 'bilinear',
        alignCorners: true,
      }),
      { rounding: 'truncate' },
    )[0]!;
    // The reference resizes the float image; re-deriving it through bytes moves a value by < 1/255.
    expect(maxDifference(output.data, expected.data)).toBeLessThanOrEqual(1);
    await sr.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('refuses what Flash cannot do, before any model loads', async () => {
    const backend = lowresEchoBackend();
    const plain = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder() });
    await expect(plain.upscale({ image: pattern(64, 64), flash: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /flash/,
    });
    const flash = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder(FLASH_CONFIG) });
    for (const [options, code, message] of [
      [{ steps: 5 }, 'INVALID_ARGUMENT', /steps/],
      [{ viewBatchSize: 2 }, 'INVALID_ARGUMENT', /viewBatchSize/],
      [{ window: 64 }, 'INVALID_ARGUMENT', /window/],
      [{ scale: 4 }, 'INVALID_ARGUMENT', /scale/],
    ] as const) {
      await expect(flash.upscale({ image: pattern(64, 64), flash: true, ...options })).rejects.toMatchObject({ code, message });
    }
    await expect(flash.upscale({ image: pattern(31, 64), flash: true })).rejects.toMatchObject({
      code: 'INVALID_IMAGE',
      message: /31×64/,
    });
    expect(backend.loads.length).toBe(0);
  });

  it('stops on abort and releases the session', async () => {
    const backend = lowresEchoBackend();
    const sr = await KandiSuperRes.create({ backend, folder: await mockSuperResFolder(FLASH_CONFIG) });
    const controller = new AbortController();
    const run = sr.upscale({
      image: pattern(64, 64),
      flash: true,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'step' && event.index === 1) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(backend.runsOf(SR_UNET).length).toBe(2);
    expect(backend.liveSessions).toBe(0);
  });
});
