import { describeValue } from '../errors/kandinsky-error.js';
import { WarningCodes } from '../events/warning-codes.js';
import { invalidArgument } from '../errors/error-constructors.js';
import type { TorchGenerator } from '../noise/torch-generator.js';
import { FlashSampler } from '../schedulers/flash-sampler.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { resolveSchedulerChoice } from '../schedulers/scheduler-choice.js';
import type { Tensor } from '../tensor/tensor.js';
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
    const sampling = await flashSampling(components, call, options);
    for (const [name, value] of [
      ['negativePrompt', options.negativePrompt],
      ['guidanceScale', options.guidanceScale],
    ] as const) {
      if (value !== undefined) {
        call.warn(WarningCodes.OPTION_IGNORED, `Flash ignores ${name} (${describeValue(value)}): it runs without guidance (spec §4.3).`);
      }
    }
    const contexts = await components.encodePrompt(call, FLASH_VARIANT, {
      prompt: prompt.prompt,
      negativePrompt: undefined,
      withUnconditional: false,
    });
    const unet = await components.session(call, FLASH_VARIANT.unet);
    const predict = unetPrediction(unet, new UnetFeeds([contexts.conditional]), call);
    const { scheduler, start } = sampling;
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    const images = await components.generateImages(call, {
      seeds,
      unet: FLASH_VARIANT.unet,
      previewEvery,
      rounding: 'truncate',
      start: (generator) => start(generator, dims),
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
        steps: scheduler.numInferenceSteps,
        guidanceScale: undefined,
        strength: undefined,
        sampler: scheduler instanceof FlashSampler ? 'Flash' : scheduler.name,
        timesteps: scheduler.timesteps,
        negativePrompt: undefined,
      }),
    };
  }
}

/** The sampler of a Flash call and how its first latent is drawn. */
interface FlashSampling {
  readonly scheduler: Scheduler;
  readonly start: (generator: TorchGenerator, dims: number[]) => Tensor<'float32'>;
}

/**
 * Flash's own 4-step sampler (spec §3.5), or diffusers' `LCMScheduler` built from the folder's
 * `scheduler_config.json` with the step count the caller picks. LCM's multistep sampling is the
 * same "x0 estimate, re-noise to the next timestep" loop as Flash (its boundary scalings make
 * c_out ≈ 1 at every t it visits), so the distilled UNet serves both; the other schedulers walk
 * the probability-flow path that only the guided base UNet was trained for, and are refused.
 */
async function flashSampling(components: Kandinsky3Components, call: GenerationCall, options: FlashOptions): Promise<FlashSampling> {
  const { scheduler: name, steps, schedulerConfig } = options;
  const choice = name === undefined || name === 'flash' ? undefined : resolveSchedulerChoice(name);
  if (choice !== undefined && (choice.kind !== 'scheduler' || choice.className !== 'LCMScheduler')) {
    throw invalidArgument(
      'scheduler',
      name,
      '"flash" or "lcm" (LCMScheduler) with Flash',
      'Flash is a few-step distilled UNet: use its own sampler or LCM; other schedulers go with textToImage.',
    );
  }
  if (choice === undefined) {
    if (schedulerConfig !== undefined) {
      throw invalidArgument('schedulerConfig', schedulerConfig, 'no schedulerConfig with the Flash sampler', 'Pass it with scheduler: "lcm", or leave it out.');
    }
    if (steps !== undefined) {
      call.warn(
        WarningCodes.OPTION_IGNORED,
        `Flash ignores steps (${describeValue(steps)}): its own sampler always runs its 4 distilled steps (spec §4.3); pass scheduler: "lcm" to choose the count.`,
      );
    }
    const scheduler = new FlashSampler();
    return {
      scheduler,
      // The reference draws x0 ~ N(0, I), then the noise of the first timestep (spec §4.3).
      start: (generator, dims) => scheduler.addNoise(generator.randn(dims), generator.randn(dims), scheduler.timesteps[0]!),
    };
  }
  if (schedulerConfig !== undefined && (typeof schedulerConfig !== 'object' || schedulerConfig === null || Array.isArray(schedulerConfig))) {
    throw invalidArgument('schedulerConfig', schedulerConfig, 'a plain object of scheduler config values', 'Pass e.g. { original_inference_steps: 50 }, or leave it out.');
  }
  const requested = steps ?? FLASH_LCM_STEPS;
  const scheduler = await components.scheduler('scheduler', requested, { choice, ...(schedulerConfig ? { overrides: schedulerConfig } : {}) });
  if (scheduler.numInferenceSteps !== requested) {
    call.warn(
      WarningCodes.STEPS_ADJUSTED,
      `${scheduler.name} runs ${scheduler.numInferenceSteps} steps, not the ${requested} asked for: its timestep grid cannot hold ${requested}.`,
    );
  }
  return {
    scheduler,
    // diffusers' LatentConsistencyModelPipeline: randn · init_noise_sigma (1 for LCM).
    start: (generator, dims) => {
      const latent = generator.randn(dims);
      if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < latent.data.length; i++) latent.data[i] *= scheduler.initNoiseSigma;
      return latent;
    },
  };
}

/** LCM's step count on the Flash UNet when none is given: the count Flash was distilled for. */
const FLASH_LCM_STEPS = 4;
