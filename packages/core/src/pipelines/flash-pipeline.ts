import { describeValue } from '../errors/kandinsky-error.js';
import { WarningCodes } from '../events/warning-codes.js';
import { FlashSampler } from '../schedulers/flash-sampler.js';
import { GenerationCall } from './generation-call.js';
import { resolveImageOptions } from './generation-options.js';
import { beautificationParameters, resolvePrompt } from './prompt-beautifier.js';
import type { FlashOptions, GenerationResult } from './generation-types.js';
import { unetPrediction } from './guided-denoising.js';
import { FLASH_VARIANT, LATENT_CHANNELS, LATENT_SCALE, type Kandinsky3Components } from './kandinsky3-components.js';
import { UnetFeeds } from './unet-feeds.js';

/**
 * Kandinsky Flash (spec §3.5, §4.3): the distilled UNet in 4 fixed steps, without guidance. Each
 * step re-noises the previous x0 estimate with fresh noise from the image's generator.
 */
export class FlashPipeline {
  readonly components: Kandinsky3Components;

  constructor(components: Kandinsky3Components) {
    this.components = components;
  }

  async generate(options: FlashOptions): Promise<GenerationResult> {
    const components = this.components;
    const call = new GenerationCall(options);
    const { width, height, seeds, previewEvery } = resolveImageOptions(options, components.defaultImageSize);
    const prompt = await resolvePrompt(call, options.prompt, options.beautify, components.tokenizer);
    for (const [name, value] of [
      ['negativePrompt', options.negativePrompt],
      ['guidanceScale', options.guidanceScale],
      // Not in FlashOptions' type, but JavaScript callers pass it: Flash always runs 4 steps.
      ['steps', (options as { steps?: unknown }).steps],
    ] as const) {
      if (value !== undefined) {
        const why = name === 'steps' ? 'it always runs its 4 distilled steps' : 'it runs without guidance';
        call.warn(WarningCodes.OPTION_IGNORED, `Flash ignores ${name} (${describeValue(value)}): ${why} (spec §4.3).`);
      }
    }
    const contexts = await components.encodePrompt(call, FLASH_VARIANT, {
      prompt: prompt.prompt,
      negativePrompt: undefined,
      withUnconditional: false,
    });
    const unet = await components.session(call, FLASH_VARIANT.unet);
    const predict = unetPrediction(unet, new UnetFeeds([contexts.conditional]), call);
    const scheduler = new FlashSampler();
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    const images = await components.generateImages(call, {
      seeds,
      unet: FLASH_VARIANT.unet,
      previewEvery,
      rounding: 'truncate',
      // The reference draws x0 ~ N(0, I), then the noise of the first timestep (spec §4.3).
      start: (generator) => {
        const initial = generator.randn(dims);
        return scheduler.addNoise(initial, generator.randn(dims), scheduler.timesteps[0]!);
      },
      denoise: { scheduler, predict },
    });
    return {
      images,
      seeds,
      timings: call.timings,
      parameters: components.parameters('flash', prompt.prompt, {
        ...beautificationParameters(prompt),
        width,
        height,
        seeds,
        steps: scheduler.timesteps.length,
        guidanceScale: undefined,
        strength: undefined,
        sampler: 'Flash',
        timesteps: scheduler.timesteps,
        negativePrompt: undefined,
      }),
    };
  }
}
