import { GenerationCall } from './generation-call.js';
import { resolveImageOptions } from './generation-options.js';
import { beautificationParameters, resolvePrompt } from './prompt-beautifier.js';
import type { GenerationResult, TextToImageOptions } from './generation-types.js';
import { prepareGuidedDenoising } from './guided-denoising.js';
import { BASE_VARIANT, LATENT_CHANNELS, LATENT_SCALE, type Kandinsky3Components } from './kandinsky3-components.js';

/**
 * Kandinsky 3 text → image with classifier-free guidance (spec §4.2), over any backend.
 * ```ts
 * const pipeline = new TextToImagePipeline(await Kandinsky3Components.create({ backend, folder, tokenizer }));
 * const { images, seeds } = await pipeline.generate({ prompt: 'a red circle', seed: 42 });
 * ```
 */
export class TextToImagePipeline {
  readonly components: Kandinsky3Components;

  constructor(components: Kandinsky3Components) {
    this.components = components;
  }

  async generate(options: TextToImageOptions): Promise<GenerationResult> {
    const components = this.components;
    const call = new GenerationCall(options);
    const { width, height, seeds, previewEvery } = resolveImageOptions(options, components.defaultImageSize);
    const prompt = await resolvePrompt(call, options.prompt, options.beautify, components.tokenizer);
    const setup = await prepareGuidedDenoising(components, call, { ...options, prompt: prompt.prompt });
    const { scheduler } = setup;
    const predict = await setup.loadPrediction();
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    const images = await components.generateImages(call, {
      seeds,
      unet: BASE_VARIANT.unet,
      previewEvery,
      rounding: components.convention === 'A' ? 'truncate' : 'round',
      start: (generator) => {
        const latent = generator.randn(dims);
        if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < latent.data.length; i++) latent.data[i] *= scheduler.initNoiseSigma;
        return latent;
      },
      denoise: { scheduler, guidance: setup.guidance, predict },
    });
    return {
      images,
      seeds,
      timings: call.timings,
      parameters: components.parameters('text-to-image', prompt.prompt, {
        ...beautificationParameters(prompt),
        width,
        height,
        seeds,
        steps: scheduler.numInferenceSteps,
        guidanceScale: setup.guidanceScale,
        strength: undefined,
        sampler: scheduler.name,
        timesteps: scheduler.timesteps,
        negativePrompt: setup.negativePrompt,
      }),
    };
  }
}
