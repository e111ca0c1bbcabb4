import { extname, resolve } from 'node:path';
import { type EdgeDetector, type ProgressEvent } from '@kandinsky/core';
import { loadControlNet, writePng } from '@kandinsky/node';
import type { CliIo } from './cli-io.js';
import { resolveDefaultModel } from './default-model.js';
import { toGenerationRequest } from './generation-request.js';
import { readInputImage } from './input-image.js';
import type { ParsedOptions } from './parse-options.js';
import { createProgressReporter } from './progress-reporter.js';
import { checkPixelLimitsWithEstimate } from './memory-estimate.js';
import { usageError } from './usage-error.js';
import { writeResults } from './write-results.js';
import { DEVICE_AND_OUTPUT_HELP, RUN_OPTIONS_HELP } from './common-options-help.js';

/** The folder of `@kandinsky/tiny-models` that `controlnet` uses without --model. */
export const CONTROLNET_DEFAULT_MODEL = 'kandinsky3-tiny-controlnet-hed';

export const CONTROLNET_HELP = `kandinsky controlnet IMAGE "PROMPT" [options]

ControlNet v1 (spec §4.7): the edges of IMAGE guide a new image drawn from PROMPT. Needs a
ControlNet model folder (default: kandinsky3-tiny-controlnet-hed).

Options:
  --edges hed|canny    edge detector: the folder's HED model, or Canny (no model) (default hed)
  --save-hint PATH     also write the edge map the model followed, as a PNG
  --negative TEXT      negative prompt (default "")
  --steps N            DDPM steps, 1–1000 (default 100)
  --guidance W         guidance weight w ≥ 0; w ≤ 1 turns guidance off (default 7)
  --size WxH           image size, sides multiple of 64 (default: IMAGE's own size, which must
                       then be a multiple of 64)
  --seed N             seed of the first image; image i uses N+i (default: random)
  --count N            number of images, 1–64 (default 1)
  --model DIR          model folder (default: kandinsky3-tiny-controlnet-hed from @kandinsky/tiny-models)
${DEVICE_AND_OUTPUT_HELP}${RUN_OPTIONS_HELP}
Example:
  kandinsky controlnet shape.png "a green square on a white background" --save-hint hint.png --seed 1
`;

const EDGES: readonly EdgeDetector[] = ['hed', 'canny'];

/** Everything one `controlnet` run needs beyond the shared options, checked. */
export interface ControlNetRequest {
  readonly imagePath: string;
  readonly prompt: string;
  readonly edges: EdgeDetector;
  /** Absolute `.png` path. */
  readonly saveHint: string | undefined;
}

/** Checks the options only `controlnet` has; the shared ones go through `toGenerationRequest`. */
export function toControlNetRequest({ values, positionals }: ParsedOptions): ControlNetRequest {
  if (positionals.length !== 2) {
    throw usageError(`controlnet takes an image and a prompt, got ${positionals.length} arguments.`, 'Example: kandinsky controlnet shape.png "a green square".', {
      arguments: positionals.length,
    });
  }
  const edges = values.edges === undefined || values.edges === true ? 'hed' : values.edges;
  if (!(EDGES as readonly string[]).includes(edges)) {
    throw usageError(`--edges must be hed or canny, got ${JSON.stringify(edges)}.`, 'Use --edges hed (the model) or --edges canny (no model).', { '--edges': edges });
  }
  const saveHint = values['save-hint'] === true ? undefined : values['save-hint'];
  if (saveHint !== undefined && extname(saveHint).toLowerCase() !== '.png') {
    throw usageError(`--save-hint ${JSON.stringify(saveHint)} is not a .png file name.`, 'Write e.g. --save-hint hint.png.', { '--save-hint': saveHint });
  }
  return {
    imagePath: resolve(positionals[0]!),
    prompt: positionals[1]!,
    edges: edges as EdgeDetector,
    saveHint: saveHint === undefined ? undefined : resolve(saveHint),
  };
}

/** `kandinsky controlnet`: checks the whole command line, reads the image, then loads the model. */
export async function runControlNet(parsed: ParsedOptions, io: CliIo): Promise<number> {
  const request = toControlNetRequest(parsed);
  const common = toGenerationRequest('generate', { values: parsed.values, positionals: [request.prompt] });
  const input = await readInputImage(request.imagePath, common.size, common.limits);
  if (input.note !== undefined) io.stderr.write(`note: ${input.note}\n`);
  checkPixelLimitsWithEstimate(input.width, input.height, common.count, common.limits);
  const modelDirectory = common.modelDirectory ?? (await resolveDefaultModel(undefined, CONTROLNET_DEFAULT_MODEL));
  const onProgress: (event: ProgressEvent) => void = createProgressReporter(common.json ? io.stderr : io.stdout, common.quiet);
  const pipeline = await loadControlNet(modelDirectory, { device: common.device, lowMemory: common.lowMemory, onProgress });
  try {
    const result = await pipeline.generate({
      image: input.image,
      prompt: request.prompt,
      edges: request.edges,
      width: input.width,
      height: input.height,
      ...(common.negativePrompt === undefined ? {} : { negativePrompt: common.negativePrompt }),
      ...(common.steps === undefined ? {} : { steps: common.steps }),
      ...(common.guidanceScale === undefined ? {} : { guidanceScale: common.guidanceScale }),
      ...(common.seed === undefined ? {} : { seed: common.seed }),
      count: common.count,
      ...common.limits,
      onProgress,
    });
    if (request.saveHint !== undefined) await writePng(request.saveHint, result.hint);
    await writeResults(
      result,
      { out: common.out, prefix: 'controlnet', json: common.json, extra: { image: request.imagePath, edges: result.parameters.edges }, hintFile: request.saveHint },
      io,
    );
    return 0;
  } finally {
    await pipeline.components.dispose();
  }
}
