import {
  createTensor,
  denoise,
  emitProgress,
  FlashSampler,
  kandinskyError,
  runStage,
  type AbortSignalLike,
  type ModelSession,
  type NoiseSource,
  type ProgressCallback,
  type Tensor,
} from '@kandinsky/core';
import { crossFadeTiled } from './crossfade-tiling.js';
import type { RefinerContext } from './refiner-context.js';

/** The refiner's one Flash-UNet timestep (spec §4.8.3 step 3b; diffusion_refine.py `refine`). */
export const REFINER_TIMESTEP = 229;
/** Refiner latent tile side (spec §4.8.3 step 3b: `tile_sample_min_size` 352). */
export const REFINER_TILE = 352;
/** Refiner tile overlap factor (spec §4.8.3 step 3b): stride 264, cross-fade 88, keep 264. */
export const REFINER_OVERLAP = 0.25;
/** MoVQ tile side in pixels (spec §2.6: `tile_sample_min_size` 1024 = 128 latents). */
export const MOVQ_TILE_PIXELS = 1024;
/** MoVQ encode overlap (spec §2.6: plain 1024-px tiles, no blending). */
export const MOVQ_ENCODE_OVERLAP = 0;
/** MoVQ decode overlap (spec §2.6): latent stride 96, cross-fade 256 px, keep 768 px. */
export const MOVQ_DECODE_OVERLAP = 0.25;
/** MoVQ downsampling factor (spec §2.6). */
const LATENT_SCALE = 8;

/** The sessions and context the refiner runs with. */
export interface FlashRefinerModels {
  readonly encoder: ModelSession;
  readonly unet: ModelSession;
  readonly decoder: ModelSession;
  readonly context: RefinerContext;
}

/** Options of {@link refineFlashOutput}. */
export interface RefineOptions {
  /** `[1, 3, H, W]`, the Flash SR output x0 in [−1, 1] (not clipped), H and W multiples of 8. */
  readonly image: Tensor<'float32'>;
  /** Continues the SR loop's stream: one draw per refiner tile, in tile order. */
  readonly generator: NoiseSource;
  readonly signal?: AbortSignalLike | undefined;
  readonly onProgress?: ProgressCallback | undefined;
}

function output(outputs: Record<string, Tensor>, name: string, role: string): Tensor<'float32'> {
  const tensor = outputs[name];
  if (tensor?.dtype !== 'float32') {
    throw kandinskyError('RUNTIME_ERROR', `${role} returned no float32 ${name}.`, 'Check the model against docs/model-format.md §3.');
  }
  return tensor as Tensor<'float32'>;
}

/**
 * `MoVQ.encode`: one call up to 1024² pixels, else 1024-px tiles without overlap (spec §2.6,
 * §4.8.3 step 3a).
 */
export async function movqEncode(encoder: ModelSession, image: Tensor<'float32'>, signal?: AbortSignalLike): Promise<Tensor<'float32'>> {
  const run = async (tile: Tensor<'float32'>) => output(await encoder.run({ image: tile }, { signal }), 'latent', 'movq_encoder');
  const [, , height, width] = image.dims as [number, number, number, number];
  if (height <= MOVQ_TILE_PIXELS && width <= MOVQ_TILE_PIXELS) return run(image);
  const latentTile = MOVQ_TILE_PIXELS / LATENT_SCALE;
  const blendExtent = Math.trunc(latentTile * MOVQ_ENCODE_OVERLAP);
  return crossFadeTiled({
    input: image,
    tile: MOVQ_TILE_PIXELS,
    stride: Math.trunc(MOVQ_TILE_PIXELS * (1 - MOVQ_ENCODE_OVERLAP)),
    blendExtent,
    keep: latentTile - blendExtent,
    apply: run,
    signal,
  });
}

/**
 * `MoVQ.decode`: one call up to 128² latents, else 128-latent tiles every 96, cross-faded over
 * 256 px, 768 px kept (spec §2.6, §4.8.3 step 3c).
 */
export async function movqDecode(decoder: ModelSession, latent: Tensor<'float32'>, signal?: AbortSignalLike): Promise<Tensor<'float32'>> {
  const run = async (tile: Tensor<'float32'>) => output(await decoder.run({ latent: tile }, { signal }), 'image', 'movq_decoder');
  const [, , height, width] = latent.dims as [number, number, number, number];
  const latentTile = MOVQ_TILE_PIXELS / LATENT_SCALE;
  if (height <= latentTile && width <= latentTile) return run(latent);
  const blendExtent = Math.trunc(MOVQ_TILE_PIXELS * MOVQ_DECODE_OVERLAP);
  return crossFadeTiled({
    input: latent,
    tile: latentTile,
    stride: Math.trunc(latentTile * (1 - MOVQ_DECODE_OVERLAP)),
    blendExtent,
    keep: MOVQ_TILE_PIXELS - blendExtent,
    apply: run,
    signal,
  });
}

/**
 * The KandiSuperRes Flash latent refiner (spec §4.8.3 step 3; diffusion_refine.py
 * `refine_tiled`): MoVQ-encode the SR output; over 352-latent tiles (stride 264, cross-fade 88,
 * keep 264) noise each tile to t = 229 on the cosine schedule and take x0 from one Flash-UNet
 * call with the shipped context — `FlashSampler({ timesteps: [229] })` through core's `denoise`;
 * MoVQ-decode. Returns the decoded image `[1, 3, H, W]`, not clipped.
 */
export async function refineFlashOutput(models: FlashRefinerModels, options: RefineOptions): Promise<Tensor<'float32'>> {
  const { image, generator, signal, onProgress } = options;
  const { encoder, unet, decoder, context } = models;
  const latent = await runStage(onProgress, 'encode-image', () => movqEncode(encoder, image, signal), { component: 'movq_encoder' });
  const sampler = new FlashSampler({ timesteps: [REFINER_TIMESTEP] });
  const blendExtent = Math.trunc(REFINER_TILE * REFINER_OVERLAP);
  const refined = await runStage(
    onProgress,
    'refine',
    () =>
      crossFadeTiled({
        input: latent,
        tile: REFINER_TILE,
        stride: Math.trunc(REFINER_TILE * (1 - REFINER_OVERLAP)),
        blendExtent,
        keep: REFINER_TILE - blendExtent,
        signal,
        apply: async (tile, where) => {
          // q_sample draws torch.randn_like(tile) per tile (diffusion_refine.py `refine`).
          const noisy = sampler.addNoise(tile, generator.randn(tile.dims), REFINER_TIMESTEP);
          const x0 = await denoise({
            scheduler: sampler,
            latent: noisy,
            signal,
            predict: async (input, timestep) => {
              const outputs = await unet.run(
                {
                  sample: input,
                  timestep: createTensor('float32', [1], Float32Array.of(timestep)),
                  encoder_hidden_states: context.context,
                  encoder_attention_mask: context.mask,
                },
                { signal },
              );
              return output(outputs, 'noise_pred', 'unet_flash');
            },
          });
          emitProgress(onProgress, {
            type: 'tile',
            index: where.index,
            total: where.total,
            step: 0,
            totalSteps: 1,
            view: { top: where.top, left: where.left, height: where.height, width: where.width },
          });
          return x0;
        },
      }),
    { component: 'unet_flash' },
  );
  const decoded = await runStage(onProgress, 'decode', () => movqDecode(decoder, refined, signal), { component: 'movq_decoder' });
  if (decoded.dims.join() !== image.dims.join()) {
    throw kandinskyError(
      'RUNTIME_ERROR',
      `The refiner decoded [${decoded.dims.join(', ')}] from an image of [${image.dims.join(', ')}].`,
      'Check movq_encoder / movq_decoder against docs/model-format.md §3.7 (×8 down, ×8 up).',
    );
  }
  return decoded;
}
