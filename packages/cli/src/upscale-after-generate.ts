import { dirname, join, resolve } from 'node:path';
import type { GenerationMetadata, ProgressEvent, RgbImage } from '@kandinsky/core';
import { loadKandiSuperRes, type NodeDevice } from '@kandinsky/node';
import { resolveDefaultModel } from './default-model.js';
import { DEFAULT_UPSCALE_MODEL } from './upscale-command.js';
import { usageError } from './usage-error.js';

/** What `generate --upscale` runs on. */
export type Upscaler = Awaited<ReturnType<typeof loadKandiSuperRes>>;

/** The `--upscale` and `--upscale-model` options of `generate` / `img2img`, checked. */
export interface UpscaleAfterGenerate {
  readonly scale: 2 | 4;
  /** Absolute KandiSuperRes folder; undefined: the tiny ×4 model of @kandinsky/tiny-models. */
  readonly modelDirectory: string | undefined;
}

/** Parses `--upscale 4|2` (and `--upscale-model DIR`, which needs it) before any model loads. */
export function parseUpscaleAfterGenerate(
  scale: string | true | undefined,
  model: string | true | undefined,
): UpscaleAfterGenerate | undefined {
  if (scale === undefined) {
    if (model !== undefined) {
      throw usageError('--upscale-model needs --upscale.', 'Add --upscale 4 (or 2 with a ×2 model).', { option: '--upscale-model' });
    }
    return undefined;
  }
  if (scale !== '4' && scale !== '2') {
    throw usageError(`--upscale must be 4 or 2, got ${JSON.stringify(scale)}.`, 'KandiSuperRes exists as ×4 and ×2 models.', {
      option: '--upscale',
    });
  }
  return { scale: scale === '4' ? 4 : 2, modelDirectory: typeof model === 'string' ? resolve(model) : undefined };
}

/** Opens the SR folder (no model loads yet) and checks that it supports the scale. */
export async function openUpscaler(
  options: UpscaleAfterGenerate,
  device: NodeDevice | 'auto',
  lowMemory: boolean,
): Promise<Upscaler> {
  const directory = options.modelDirectory ?? join(dirname(await resolveDefaultModel()), DEFAULT_UPSCALE_MODEL);
  const sr = await loadKandiSuperRes(directory, { device, lowMemory });
  if (!sr.scales.includes(options.scale)) {
    throw usageError(
      `--upscale ${options.scale}: the model ${directory} upscales by ${sr.scales.join(' or ')} only.`,
      `Use --upscale ${sr.scales[0]}, or --upscale-model with a ×${options.scale} KandiSuperRes folder.`,
      { option: '--upscale' },
    );
  }
  return sr;
}

/** Upscales each generated image (seed 0, the KandiSuperRes default) and says what was done, for the PNG metadata. */
export async function upscaleImages(
  sr: Upscaler,
  images: readonly RgbImage[],
  scale: number,
  onProgress: (event: ProgressEvent) => void,
): Promise<{ images: RgbImage[]; metadata: NonNullable<GenerationMetadata['upscale']>[] }> {
  const upscaled: RgbImage[] = [];
  const metadata: NonNullable<GenerationMetadata['upscale']>[] = [];
  for (const image of images) {
    const { image: output, parameters } = await sr.upscale({ image, scale, onProgress });
    upscaled.push(output);
    metadata.push({
      model: sr.folder.index.variant.name,
      scale: parameters.scale,
      steps: parameters.steps,
      seed: parameters.seed,
      width: output.width,
      height: output.height,
    });
  }
  return { images: upscaled, metadata };
}
