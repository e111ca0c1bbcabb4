import { assertStrength, strengthTimesteps } from '../schedulers/strength.js';
import { assertRgbImage } from '../image/rgb-image.js';
import { GenerationCall } from './generation-call.js';
import { resolveImageOptions } from './generation-options.js';
import type { GenerationResult, ImageToImageOptions } from './generation-types.js';
import { prepareGuidedDenoising } from './guided-denoising.js';
import { BASE_VARIANT, LATENT_CHANNELS, LATENT_SCALE, type Kandinsky3Components } from './kandinsky3-components.js';

/**
 * Kandinsky 3 image → image (spec §4.4): the image's MoVQ latent is noised to the timestep that
 * `strength` picks and the tail of the schedule runs from there, with guidance.
 */
export class ImageToImagePipeline {
  readonly components: Kandinsky3Components;

  constructor(components: Kandinsky3Components) {
    this.components = components;
  }

  async generate(options: ImageToImageOptions): Promise<GenerationResult> {
    const components = this.components;
    const call = new GenerationCall(options);
    assertRgbImage(options.image, 'image');
    const strength = options.strength ?? 0.3;
    assertStrength(strength);
    const { width, height, seeds, previewEvery } = resolveImageOptions(options, components.defaultImageSize);
    const setup = await prepareGuidedDenoising(components, call, options);
    const { scheduler } = setup;
    const { startIndex, timesteps, steps } = strengthTimesteps(scheduler, strength);
    const encoded = await components.encodeImage(call, options.image, width, height);
    const predict = await setup.loadPrediction();
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    const images = await components.generateImages(call, {
      seeds,
      unet: BASE_VARIANT.unet,
      previewEvery,
      rounding: components.convention === 'A' ? 'truncate' : 'round',
      // The start noise is drawn even when strength leaves no step, as the references do.
      start: (generator) => {
        const noise = generator.randn(dims);
        return timesteps.length > 0 ? scheduler.addNoise(encoded, noise, timesteps[0]!) : encoded;
      },
      denoise: { scheduler, startIndex, guidance: setup.guidance, predict },
    });
    return {
      images,
      seeds,
      timings: call.timings,
      parameters: components.parameters('image-to-image', options.prompt, {
        width,
        height,
        seeds,
        steps,
        guidanceScale: setup.guidanceScale,
        strength,
        sampler: scheduler.name,
        timesteps,
        negativePrompt: setup.negativePrompt,
      }),
    };
  }
}
