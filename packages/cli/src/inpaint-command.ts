import { resolve } from 'node:path';
import {
  KandinskyError,
  inpaintingSize,
  toGenerationMetadata,
  toInpaintingMask,
  type ImageMask,
  type InpaintingOptions,
  type ProgressEvent,
  type RgbImage,
} from '@kandinsky/core';
import { loadKandinsky3, readAlphaMask, readImage, writeImage } from '@kandinsky/node';
import type { CliIo } from './cli-io.js';
import { resolveDefaultModel } from './default-model.js';
import { toGenerationRequest, type GenerationRequest } from './generation-request.js';
import { outputPaths } from './output-paths.js';
import type { ParsedOptions } from './parse-options.js';
import { createProgressReporter } from './progress-reporter.js';
import { checkPixelLimitsWithEstimate } from './memory-estimate.js';
import { usageError } from './usage-error.js';
import { SDK_VERSION } from './version.js';
import { DEVICE_AND_OUTPUT_HELP, RUN_OPTIONS_HELP } from './common-options-help.js';

export const INPAINT_HELP = `kandinsky inpaint IMAGE MASK "PROMPT" [options]
kandinsky inpaint IMAGE "PROMPT" --alpha [options]

Inpainting (spec §4.5): repaints the white part of MASK (black is kept) with the inpainting
model. Grey levels are kept fractional, as the reference does. With --alpha the mask is IMAGE's
own transparency (transparent = repaint). The image is worked on at ≤ ~1 MP with sides floored
to multiples of 64; the result has that size unless --paste-back is given.

Options:
  --alpha              take the mask from IMAGE's alpha channel (no MASK argument)
  --dilate-mask        grow the mask by 6 px first (the reference notebook's prepare_mask)
  --paste-back         put the kept pixels of IMAGE back, feathered, at IMAGE's own size
  --negative TEXT      negative prompt
  --steps N            denoising steps, 1–1000 (default 50)
  --guidance W         guidance weight w ≥ 0 (default 4, the inpainting reference's)
  --seed N             seed of the first image; image i uses N+i (default: random)
  --count N            number of images, 1–64 (default 1)
  --model DIR          model folder with unet_inpainting (default: kandinsky3-tiny)
${DEVICE_AND_OUTPUT_HELP}${RUN_OPTIONS_HELP}
Example:
  kandinsky inpaint photo.png mask.png "a red circle on a white background" --seed 42 --paste-back --out edited.png
`;

/** Everything one `inpaint` run needs, checked and typed. */
export interface InpaintRequest {
  /** The options it shares with img2img, checked by the same code. */
  readonly shared: GenerationRequest;
  /** Absolute path of the mask image; undefined with --alpha. */
  readonly maskPath: string | undefined;
  readonly pasteBack: boolean;
  readonly dilateMask: boolean;
}

/** Checks an `inpaint` command line (positionals, options) without touching a file or model. */
export function toInpaintRequest({ values, positionals }: ParsedOptions): InpaintRequest {
  const alpha = values.alpha === true;
  const expected = alpha ? 2 : 3;
  if (positionals.length !== expected) {
    throw usageError(
      `inpaint takes ${alpha ? 'an image and a prompt with --alpha' : 'an image, a mask and a prompt'}, got ${positionals.length} arguments.`,
      alpha ? 'Example: kandinsky inpaint cutout.png "a red circle" --alpha.' : 'Example: kandinsky inpaint photo.png mask.png "a red circle" (quote the prompt).',
      { arguments: positionals.length },
    );
  }
  const [image, ...rest] = positionals;
  const maskPath = alpha ? undefined : rest[0]!;
  const prompt = rest[rest.length - 1]!;
  const shared = toGenerationRequest('img2img', { values, positionals: [image!, prompt] });
  return {
    shared,
    maskPath: maskPath === undefined ? undefined : resolve(maskPath),
    pasteBack: values['paste-back'] === true,
    dilateMask: values['dilate-mask'] === true,
  };
}

/** Runs `kandinsky inpaint`: reads and checks the image and mask, then loads the model. */
export async function runInpaint(request: InpaintRequest, io: CliIo): Promise<number> {
  const { shared } = request;
  // Every check that needs only the files comes before the model loads.
  const image: RgbImage = await readImage(shared.imagePath!);
  const source = request.maskPath === undefined ? await readAlphaMask(shared.imagePath!) : await readImage(request.maskPath);
  let mask: ImageMask;
  try {
    mask = toInpaintingMask(source, image.width, image.height);
  } catch (error) {
    // Two files of different sizes are a mistake on the command line (exit 2).
    if (KandinskyError.isInstance(error) && error.code === 'SHAPE_MISMATCH') throw usageError(error.message, error.hint, { mask: request.maskPath });
    throw error;
  }
  const size = inpaintingSize(image.width, image.height);
  checkPixelLimitsWithEstimate(size.width, size.height, shared.count, shared.limits);
  const modelDirectory = shared.modelDirectory ?? (await resolveDefaultModel());
  const onProgress: (event: ProgressEvent) => void = createProgressReporter(shared.json ? io.stderr : io.stdout, shared.quiet);
  const pipeline = await loadKandinsky3(modelDirectory, { device: shared.device, lowMemory: shared.lowMemory, onProgress });
  try {
    const options: InpaintingOptions = {
      image,
      mask,
      prompt: shared.prompt,
      count: shared.count,
      ...shared.limits,
      onProgress,
      dilateMask: request.dilateMask,
      pasteBack: request.pasteBack,
      ...(shared.seed === undefined ? {} : { seed: shared.seed }),
      ...(shared.negativePrompt === undefined ? {} : { negativePrompt: shared.negativePrompt }),
      ...(shared.steps === undefined ? {} : { steps: shared.steps }),
      ...(shared.guidanceScale === undefined ? {} : { guidanceScale: shared.guidanceScale }),
    };
    const result = await pipeline.inpaint(options);
    const files = outputPaths(shared.out, result.seeds, 'kandinsky');
    for (let imageIndex = 0; imageIndex < result.images.length; imageIndex++) {
      await writeImage(files[imageIndex]!, result.images[imageIndex]!, toGenerationMetadata(result.parameters, { imageIndex, sdkVersion: SDK_VERSION }));
    }
    if (shared.json) {
      io.stdout.write(`${JSON.stringify({ files, seeds: result.seeds, parameters: result.parameters, timings: result.timings }, null, 2)}\n`);
    } else {
      for (const file of files) io.stdout.write(`wrote ${file}\n`);
    }
    return 0;
  } finally {
    await pipeline.dispose();
  }
}
