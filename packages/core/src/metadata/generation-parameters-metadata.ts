import { invalidArgument } from '../errors/error-constructors.js';
import type { GenerationParameters } from '../pipelines/generation-types.js';
import type { GenerationMetadata } from './generation-metadata.js';
import { checkArray, checkObject } from '../errors/argument-checks.js';

/** Options of {@link toGenerationMetadata}. */
export interface ToGenerationMetadataOptions {
  /**
   * Which image of the call the metadata is for: its seed is `parameters.seeds[imageIndex]`.
   * @default 0
   */
  imageIndex?: number;
  /** Name and version of the software that wrote the file, e.g. "kandinsky-ts 0.1.0". */
  sdkVersion: string;
}

/**
 * The metadata to store in the PNG of one image of a generation call, from the parameters the
 * call reports (`result.parameters`). Every writer goes through here so that the PNGs of the CLI,
 * the apps and user code carry the same fields.
 * ```ts
 * const result = await pipeline.textToImage({ prompt: 'a red circle', count: 2 });
 * const png = embedGenerationMetadata(bytes, toGenerationMetadata(result.parameters, { imageIndex: 1, sdkVersion }));
 * ```
 */
export function toGenerationMetadata(parameters: GenerationParameters, options: ToGenerationMetadataOptions): GenerationMetadata {
  checkObject('parameters', parameters, 'the parameters of a GenerationResult', 'Pass result.parameters.');
  checkArray('parameters.seeds', parameters.seeds, 'an array of seeds', 'Pass result.parameters.');
  checkObject('options', options, 'an options object { sdkVersion }', 'Pass e.g. { sdkVersion: "my-app 1.0" }.');
  const imageIndex = options.imageIndex ?? 0;
  const count = parameters.seeds.length;
  if (!Number.isInteger(imageIndex) || imageIndex < 0 || imageIndex >= count) {
    throw invalidArgument(
      'imageIndex',
      imageIndex,
      count === 0 ? 'the index of an image, but the parameters list no seeds' : `an integer in [0, ${count - 1}]`,
      'Pass the position of the image in result.images (one seed per image).',
      { seeds: count },
    );
  }
  // Optional fields are left out rather than stored as undefined: the JSON entry and the readable
  // "parameters" text then agree on which fields exist.
  return {
    prompt: parameters.prompt,
    ...(parameters.userPrompt === undefined ? {} : { userPrompt: parameters.userPrompt }),
    ...(parameters.promptSource === undefined ? {} : { promptSource: parameters.promptSource }),
    ...(parameters.negativePrompt === undefined ? {} : { negativePrompt: parameters.negativePrompt }),
    seed: parameters.seeds[imageIndex]!,
    steps: parameters.steps,
    ...(parameters.guidanceScale === undefined ? {} : { guidanceScale: parameters.guidanceScale }),
    width: parameters.width,
    height: parameters.height,
    model: parameters.model,
    sampler: parameters.sampler,
    mode: parameters.mode,
    ...(parameters.strength === undefined ? {} : { strength: parameters.strength }),
    sdkVersion: options.sdkVersion,
  };
}
