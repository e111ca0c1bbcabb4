import {
  emitProgress,
  FlashSampler,
  kandinskyError,
  throwIfAborted,
  createTensor,
  type TorchGenerator,
  type AbortSignalLike,
  type ModelSession,
  type ProgressCallback,
  type Tensor,
} from '@kandinsky/core';

/** KandiSuperRes Flash takes the low-res sides down to multiples of 32 first (spec §4.8.3 step 1). */
export const FLASH_LOW_RES_MULTIPLE = 32;

/** Inputs of {@link flashDenoise}. */
export interface FlashDenoiseOptions {
  readonly session: ModelSession;
  /** `[1, 3, H, W]`: the low-res image upsampled to the output canvas. */
  readonly lowres: Tensor<'float32'>;
  readonly timesteps: readonly number[];
  /** `TorchGenerator(seed)`, fresh: the loop draws x0 and then one z per step from it. */
  readonly generator: TorchGenerator;
  readonly signal?: AbortSignalLike | undefined;
  readonly onProgress?: ProgressCallback | undefined;
}

/**
 * The KandiSuperRes Flash SR loop on the whole canvas, no tiling (spec §3.7, §4.8.3 step 2):
 * x0 ~ N(0, I); per t, x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·z with fresh z (linear schedule), x0 = UNet(x_t,
 * t, lowres). Noise comes from one `TorchGenerator(seed)` in the reference's order (x0, then one z
 * per step). Returns the last x0; the refiner continues the same generator.
 */
export async function flashDenoise(options: FlashDenoiseOptions): Promise<Tensor<'float32'>> {
  const { session, lowres, timesteps, generator, signal, onProgress } = options;
  const sampler = new FlashSampler({ schedule: 'linear', prediction: 'sample', timesteps });
  const dims = lowres.dims;
  const start = generator.randn(dims);
  let sample = sampler.addNoise(start, generator.randn(dims), timesteps[0]!);
  const state = sampler.createState();
  const [, , height, width] = dims as [number, number, number, number];
  const view = { top: 0, left: 0, height, width };
  for (let step = 0; step < timesteps.length; step++) {
    throwIfAborted(signal);
    const timestep = timesteps[step]!;
    const outputs = await session.run(
      { sample, timestep: createTensor('float32', [1], Float32Array.of(timestep)), lowres },
      { signal },
    );
    const x0 = outputs.x0 as Tensor<'float32'> | undefined;
    if (x0?.dtype !== 'float32' || x0.data.length !== sample.data.length) {
      throw kandinskyError('RUNTIME_ERROR', `sr_unet returned no float32 x0 of dims [${dims.join(', ')}].`, 'Check the model against docs/model-format.md §3.8.');
    }
    sample = sampler.step(x0, timestep, sample, state, { generator, out: sample }).prevSample;
    emitProgress(onProgress, { type: 'tile', index: 0, total: 1, step, totalSteps: timesteps.length, view });
    emitProgress(onProgress, { type: 'step', stage: 'upscale', index: step, total: timesteps.length, timestep });
  }
  return sample;
}
