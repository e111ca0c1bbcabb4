import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { assertRgbImage, type RgbImage } from '../image/rgb-image.js';
import { toInpaintingMask } from '../image/inpainting-mask.js';
import { dilateMask } from '../image/mask-dilation.js';
import { pasteBack } from '../image/paste-back.js';
import { concatChannels } from '../tensor/concat-channels.js';
import { GenerationCall } from './generation-call.js';
import { resolveImageOptions } from './generation-options.js';
import type { GenerationResult } from './generation-types.js';
import { prepareGuidedDenoising } from './guided-denoising.js';
import { prepareInpaintingInputs } from './inpainting-inputs.js';
import type { InpaintingOptions } from './inpainting-options.js';
import { INPAINTING_VARIANT, LATENT_CHANNELS, LATENT_SCALE, type Kandinsky3Components } from './kandinsky3-components.js';

/** The reference's guidance weight for inpainting (spec §4.5: `guidance_weight_text = 4`). */
export const INPAINTING_GUIDANCE_SCALE = 4;

/**
 * Kandinsky 3 inpainting (spec §4.5): the masked image's MoVQ latent and the latent mask join
 * the noisy latent as the inpainting UNet's 9 input channels; the original sampler thresholds at
 * the 0.95 percentile; the whole latent is decoded (no compositing unless `pasteBack`).
 * ```ts
 * const { images } = await new InpaintingPipeline(components).generate({
 *   image, mask: rectangleMask(image.width, image.height, { x: 8, y: 8, width: 24, height: 24 }),
 *   prompt: 'a red circle on a white background', seed: 1,
 * });
 * ```
 */
export class InpaintingPipeline {
  readonly components: Kandinsky3Components;

  constructor(components: Kandinsky3Components) {
    this.components = components;
  }

  async generate(options: InpaintingOptions): Promise<GenerationResult> {
    const components = this.components;
    const call = new GenerationCall(options);
    this.#assertFolder();
    for (const name of ['width', 'height', 'sampler'] as const) {
      if ((options as unknown as Record<string, unknown>)[name] !== undefined) {
        throw kandinskyError(
          'INVALID_ARGUMENT',
          `inpaint does not take ${name} (got ${describeValue((options as unknown as Record<string, unknown>)[name])}).`,
          'The working size follows the image (≤ ~1 MP, multiples of 64) and inpainting uses the original sampler; resize the image to choose the size.',
        );
      }
    }
    assertRgbImage(options.image, 'image');
    const image: RgbImage = options.image;
    let mask = toInpaintingMask(options.mask, image.width, image.height);
    if (options.dilateMask) mask = dilateMask(mask);
    const inputs = prepareInpaintingInputs(image, mask);
    assertSomethingToRepaint(inputs.keep.data);
    const guidanceScale = options.guidanceScale ?? INPAINTING_GUIDANCE_SCALE;
    const { width, height } = inputs;
    const { seeds, previewEvery } = resolveImageOptions({ ...options, width, height }, components.defaultImageSize);
    const setup = await prepareGuidedDenoising(
      components,
      call,
      { ...options, guidanceScale, sampler: 'original' },
      { variant: INPAINTING_VARIANT, samplerTask: 'inpainting' },
    );
    const { scheduler } = setup;
    const maskedLatent = await components.encodeImageTensor(call, inputs.maskedImage);
    // spec §2.5: the UNet's channels are [noisy latent (4), mask (1, 1 = keep), masked latent (4)].
    const predict = await setup.loadPrediction({ extraChannels: concatChannels([inputs.latentMask, maskedLatent]) });
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    let images = await components.generateImages(call, {
      seeds,
      unet: INPAINTING_VARIANT.unet,
      previewEvery,
      rounding: 'truncate',
      start: (generator) => generator.randn(dims),
      denoise: { scheduler, guidance: setup.guidance, predict },
    });
    if (options.pasteBack) {
      const paste = options.pasteBack === true ? {} : options.pasteBack;
      images = images.map((generated) => pasteBack(image, generated, mask, paste));
    }
    return {
      images,
      seeds,
      timings: call.timings,
      parameters: components.parameters('inpainting', options.prompt, {
        width,
        height,
        seeds,
        steps: scheduler.numInferenceSteps,
        guidanceScale,
        strength: undefined,
        sampler: scheduler.name,
        timesteps: scheduler.timesteps,
        negativePrompt: setup.negativePrompt,
      }),
    };
  }

  #assertFolder(): void {
    const { folder, convention } = this.components;
    const missing = [INPAINTING_VARIANT.unet, INPAINTING_VARIANT.projection].filter((role) => !folder.has(role));
    if (missing.length > 0 || convention !== 'A') {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        missing.length > 0
          ? `The model ${JSON.stringify(folder.index.variant.name)} has no ${missing.join(' or ')}: it is not an inpainting folder.`
          : `The model ${JSON.stringify(folder.index.variant.name)} follows prompt convention ${convention}; inpainting needs the original 3.1 convention A.`,
        'Open a Kandinsky 3.1 folder with unet_inpainting and text_projection_inpainting (e.g. models/tiny/kandinsky3-tiny).',
        { missing },
      );
    }
  }
}

/** A mask that keeps every pixel at the working size would only re-encode the image. */
function assertSomethingToRepaint(keep: Float32Array): void {
  for (let i = 0; i < keep.length; i++) if (keep[i] !== 1) return;
  throw kandinskyError(
    'INVALID_ARGUMENT',
    'The mask repaints nothing: every pixel is 0 (keep) at the working size.',
    'Mark the region to repaint with 1 / white (the mask convention is 1 = repaint, 0 = keep); a region thinner than a pixel can vanish when the image is shrunk.',
  );
}
