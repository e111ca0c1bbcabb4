import { resolve } from 'node:path';
import { type ProgressEvent, type RgbImage } from '@kandinsky/core';
import { loadIpAdapter, readImage } from '@kandinsky/node';
import { parseNumber } from './argument-parsers.js';
import type { CliIo } from './cli-io.js';
import { resolveDefaultModel } from './default-model.js';
import { toGenerationRequest } from './generation-request.js';
import type { ParsedOptions } from './parse-options.js';
import { createProgressReporter } from './progress-reporter.js';
import { checkPixelLimitsWithEstimate } from './memory-estimate.js';
import { usageError } from './usage-error.js';
import { writeResults } from './write-results.js';
import { DEVICE_AND_OUTPUT_HELP, RUN_OPTIONS_HELP } from './common-options-help.js';

/** The folder of `@kandinsky/tiny-models` that `variation` uses without --model. */
export const VARIATION_DEFAULT_MODEL = 'kandinsky3-tiny-ip-adapter';

export const VARIATION_HELP = `kandinsky variation IMAGE [IMAGE …] [options]

IP-Adapter (spec §4.6): a variation of one image, or a mix of several by weight, optionally
steered by a prompt. Needs an IP-Adapter model folder (default: kandinsky3-tiny-ip-adapter).

Options:
  --weights W,W,…      one weight ≥ 0 per image, not all 0 (default: equal, 1/n each)
  --prompt TEXT        text to combine with the image(s) (default "": image only)
  --image-weight W     strength of the image in the attention, ≥ 0; below 1 the prompt counts
                       more (default 1)
  --negative TEXT      negative prompt (default "")
  --steps N            DDPM steps, 1–1000 (default 100)
  --guidance W         guidance weight w ≥ 0; w ≤ 1 turns guidance off (default 7)
  --size WxH           image size, sides multiple of 64 (default: the model's, 64 for tiny)
  --seed N             seed of the first image; image i uses N+i (default: random)
  --count N            number of images, 1–64 (default 1)
  --model DIR          model folder (default: kandinsky3-tiny-ip-adapter from @kandinsky/tiny-models)
${DEVICE_AND_OUTPUT_HELP}${RUN_OPTIONS_HELP}
Examples:
  kandinsky variation red-circle.png --seed 1 --out out/
  kandinsky variation red.png blue.png --weights 0.7,0.3 --seed 1
  kandinsky variation red.png --prompt "a blue circle on a white background" --image-weight 0.5
`;

/** Everything one `variation` run needs, checked. */
export interface VariationRequest {
  readonly imagePaths: readonly string[];
  readonly weights: readonly number[] | undefined;
  readonly prompt: string;
  readonly imageWeight: number | undefined;
}

/** Checks the options only `variation` has; the shared ones go through `toGenerationRequest`. */
export function toVariationRequest({ values, positionals }: ParsedOptions): VariationRequest {
  if (positionals.length === 0) {
    throw usageError('variation takes at least one image, got none.', 'Example: kandinsky variation red-circle.png --seed 1.', { arguments: 0 });
  }
  const text = (name: 'weights' | 'prompt' | 'image-weight'): string | undefined => {
    const value = values[name];
    return value === true ? undefined : value;
  };
  const weightsText = text('weights');
  let weights: number[] | undefined;
  if (weightsText !== undefined) {
    weights = weightsText
      .split(',')
      .map((part) => parseNumber('--weights', part, 0, Number.POSITIVE_INFINITY, 'Write one weight ≥ 0 per image, e.g. --weights 0.5,0.5.'));
    if (weights.length !== positionals.length) {
      throw usageError(
        `--weights ${JSON.stringify(weightsText)} gives ${weights.length} weight(s) for ${positionals.length} image(s).`,
        'Give one weight per image, in the order of the images.',
        { weights: weights.length, images: positionals.length },
      );
    }
    if (weights.every((weight) => weight === 0)) {
      throw usageError(`--weights ${JSON.stringify(weightsText)} are all zero.`, 'Give at least one image a weight above 0.', { weights });
    }
  }
  const imageWeightText = text('image-weight');
  return {
    imagePaths: positionals.map((path) => resolve(path)),
    weights,
    prompt: text('prompt') ?? '',
    imageWeight:
      imageWeightText === undefined
        ? undefined
        : parseNumber('--image-weight', imageWeightText, 0, Number.POSITIVE_INFINITY, 'Use 1 for the image at full strength, e.g. 0.5 to let the prompt count more.'),
  };
}

/** `kandinsky variation`: checks the whole command line, reads the images, then loads the model. */
export async function runVariation(parsed: ParsedOptions, io: CliIo): Promise<number> {
  const request = toVariationRequest(parsed);
  // The options shared with generate/img2img are checked by the same code (a stand-in prompt).
  const common = toGenerationRequest('generate', { values: parsed.values, positionals: [request.prompt] });
  const images: RgbImage[] = [];
  if (common.size) checkPixelLimitsWithEstimate(common.size.width, common.size.height, common.count, common.limits);
  for (const path of request.imagePaths) images.push(await readImage(path));
  const modelDirectory = common.modelDirectory ?? (await resolveDefaultModel(undefined, VARIATION_DEFAULT_MODEL));
  const onProgress: (event: ProgressEvent) => void = createProgressReporter(common.json ? io.stderr : io.stdout, common.quiet);
  const pipeline = await loadIpAdapter(modelDirectory, { device: common.device, lowMemory: common.lowMemory, onProgress });
  try {
    const result = await pipeline.generate({
      images,
      prompt: request.prompt,
      ...(request.weights === undefined ? {} : { weights: request.weights }),
      ...(request.imageWeight === undefined ? {} : { imageWeight: request.imageWeight }),
      ...(common.negativePrompt === undefined ? {} : { negativePrompt: common.negativePrompt }),
      ...(common.steps === undefined ? {} : { steps: common.steps }),
      ...(common.guidanceScale === undefined ? {} : { guidanceScale: common.guidanceScale }),
      ...common.size,
      ...(common.seed === undefined ? {} : { seed: common.seed }),
      count: common.count,
      ...common.limits,
      onProgress,
    });
    await writeResults(
      result,
      {
        out: common.out,
        prefix: 'variation',
        json: common.json,
        extra: { images: request.imagePaths, imageWeights: result.parameters.imageWeights, imageWeight: result.parameters.imageWeight },
      },
      io,
    );
    return 0;
  } finally {
    await pipeline.components.dispose();
  }
}
