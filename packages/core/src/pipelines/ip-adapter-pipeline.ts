import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { mixImageEmbeddings } from '../guidance/image-embedding-mix.js';
import { CLIP_IMAGE_SIZE, prepareClipPixelValues } from '../image/clip-preprocess.js';
import { assertRgbImage, type RgbImage } from '../image/rgb-image.js';
import { IP_ADAPTER_UNET_CONTRACT } from '../model/component-contracts.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { GenerationCall } from './generation-call.js';
import { resolveImageOptions } from './generation-options.js';
import type { BaseGenerationOptions, GenerationParameters, GenerationResult } from './generation-types.js';
import { unetPrediction } from './guided-denoising.js';
import { createK3dComponents, prepareK3dDenoising } from './k3d-denoising.js';
import { LATENT_CHANNELS, LATENT_SCALE, type Kandinsky3Components, type Kandinsky3ComponentsOptions } from './kandinsky3-components.js';
import { UnetFeeds } from './unet-feeds.js';

/** Reference defaults of `KandinskyV3PipelineIpAdapter` (spec §4.6: its signature). */
export const IP_ADAPTER_DEFAULT_STEPS = 100;
export const IP_ADAPTER_DEFAULT_GUIDANCE = 7;

/** Options of {@link IpAdapterPipeline.generate} (spec §4.6). */
export interface IpAdapterOptions extends Omit<BaseGenerationOptions, 'prompt'> {
  /** The image prompt: one image for a variation, several for a mix. */
  images: readonly RgbImage[];
  /**
   * One weight per image; the image embedding is `Σ wᵢ·eᵢ`, not normalised (spec §4.6 step 2).
   * Weights must be finite, ≥ 0 and not all zero.
   * @default 1/n for each of the n images ([1] for one, [0.5, 0.5] for two, as the reference README)
   */
  weights?: readonly number[];
  /**
   * Text to combine with the image. `""` is the image-only mode: the positive text context and its
   * mask become all zero, as in the K3D pipeline (spec §4.6).
   * @default ''
   */
  prompt?: string;
  /**
   * The unconditional text; the reference README passes `""`, encoded as EOS only (spec §4.6 step 1).
   * @default ''
   */
  negativePrompt?: string;
  /**
   * How strongly the image tokens act in the cross-attention (`img_weight`, the UNet's `ip_scale`,
   * spec §2.7): below 1 the prompt counts more.
   * @default 1
   */
  imageWeight?: number;
  /**
   * DDPM steps (the folder's scheduler, spec §3.3).
   * @default 100
   */
  steps?: number;
  /**
   * Kandinsky guidance weight w of `(w+1)·cond − w·uncond`; w ≤ 1 skips CFG like the reference.
   * @default 7
   */
  guidanceScale?: number;
}

/** Options of {@link IpAdapterPipeline.variation}. */
export interface IpAdapterVariationOptions extends Omit<IpAdapterOptions, 'images' | 'weights'> {
  /** The image to vary. */
  image: RgbImage;
}

/** Options of {@link IpAdapterPipeline.mix}: `images` with their `weights`. */
export type IpAdapterMixOptions = IpAdapterOptions;

/** What an IP-Adapter call used, beyond the common parameters. */
export interface IpAdapterParameters extends GenerationParameters {
  /** The weight of each input image. */
  readonly imageWeights: readonly number[];
  /** `ip_scale`. */
  readonly imageWeight: number;
}

/** The result of an IP-Adapter call. */
export interface IpAdapterResult extends GenerationResult {
  readonly parameters: IpAdapterParameters;
}

function weightsError(message: string, hint: string, details: Record<string, unknown>) {
  return kandinskyError('INVALID_EMBEDDING_WEIGHTS', message, hint, details);
}

/** The weights of `count` images, defaults resolved; throws INVALID_EMBEDDING_WEIGHTS. */
export function resolveImageWeights(count: number, weights: readonly number[] | undefined): number[] {
  if (weights === undefined) return new Array<number>(count).fill(1 / count);
  if (!Array.isArray(weights) || weights.length !== count) {
    throw weightsError(
      `Got ${count} image(s) but weights ${describeValue(weights)}.`,
      'Pass exactly one weight per image, e.g. [0.5, 0.5] for two images.',
      { images: count, weights },
    );
  }
  weights.forEach((weight, index) => {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw weightsError(
        `Image weight ${describeValue(weight)} at index ${index} is not a finite number ≥ 0.`,
        'Use weights such as 0.5 and 0.5; a negative weight would push the image away, which the reference does not do.',
        { index, weight },
      );
    }
  });
  if (weights.every((weight) => weight === 0)) {
    throw weightsError(`All image weights are zero ${describeValue(weights)}.`, 'Give at least one image a weight above 0.', { weights });
  }
  return [...weights];
}

/**
 * Kandinsky 3 IP-Adapter (K3D, spec §2.7, §4.6) over any backend: images → CLIP-like
 * embeddings (`image_encoder`) mixed by weight, fed to every UNet step as `image_embeds` with
 * `ip_scale`; the unconditional half of the CFG batch gets the embedding of all-zero pixels.
 * ```ts
 * const ip = await IpAdapterPipeline.create({ backend, folder, tokenizer });
 * const { images } = await ip.variation({ image, seed: 1 });
 * const mixed = await ip.mix({ images: [red, blue], weights: [0.5, 0.5], seed: 1 });
 * ```
 */
export class IpAdapterPipeline {
  readonly components: Kandinsky3Components;

  constructor(components: Kandinsky3Components) {
    this.components = components;
  }

  /**
   * Checks that the folder is an IP-Adapter folder (convention C, `unet` variant `ip_adapter`,
   * an `image_encoder`); throws INVALID_MODEL_MANIFEST otherwise. Nothing loads yet.
   */
  static async create(options: Kandinsky3ComponentsOptions): Promise<IpAdapterPipeline> {
    return new IpAdapterPipeline(
      await createK3dComponents(options, {
        task: 'IP-Adapter',
        variants: { ip_adapter: ['image_encoder'] },
        example: 'models/tiny/kandinsky3-tiny-ip-adapter',
      }),
    );
  }

  /** A variation of one image (image-only mode unless `prompt` is given). */
  variation(options: IpAdapterVariationOptions): Promise<IpAdapterResult> {
    // generate() rejects a missing options object with a typed error; destructuring would throw a TypeError.
    if (options === null || typeof options !== 'object') return this.generate(options);
    const { image, ...rest } = options;
    return this.generate({ ...rest, images: [image], weights: [1] });
  }

  /** A mix of several images by weight (spec §4.6 "image + image mixing"). */
  mix(options: IpAdapterMixOptions): Promise<IpAdapterResult> {
    return this.generate(options);
  }

  /** Image (+ text) prompted generation; concurrency as Kandinsky3Components.track says. */
  generate(options: IpAdapterOptions): Promise<IpAdapterResult> {
    return this.components.track(() => this.#generate(options));
  }

  async #generate(options: IpAdapterOptions): Promise<IpAdapterResult> {
    const components = this.components;
    const call = new GenerationCall(options);
    const prompt = options.prompt ?? '';
    const { width, height, seeds, previewEvery } = resolveImageOptions({ ...options, prompt }, components.defaultImageSize);
    const images = options.images;
    if (!Array.isArray(images) || images.length === 0) {
      throw kandinskyError('INVALID_ARGUMENT', `images ${describeValue(images)} holds no image.`, 'Pass at least one image, e.g. images: [image].', {
        images,
      });
    }
    images.forEach((image, index) => assertRgbImage(image, `image ${index}`));
    const weights = resolveImageWeights(images.length, options.weights);
    const imageWeight = options.imageWeight ?? 1;
    if (typeof imageWeight !== 'number' || !Number.isFinite(imageWeight) || imageWeight < 0) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `imageWeight ${describeValue(imageWeight)} is not a finite number ≥ 0.`,
        'Use 1 for the image at full strength, e.g. 0.5 to let the prompt count more.',
        { imageWeight },
      );
    }
    const steps = options.steps ?? IP_ADAPTER_DEFAULT_STEPS;
    const setup = await prepareK3dDenoising(components, call, {
      variant: 'ip-adapter',
      prompt,
      negativePrompt: options.negativePrompt,
      steps,
      guidanceScale: options.guidanceScale ?? IP_ADAPTER_DEFAULT_GUIDANCE,
    });
    const { scheduler } = setup;
    const embeds = await this.#imageEmbeddings(call, images, weights, setup.guidance !== undefined);
    const unet = await components.session(call, 'unet', IP_ADAPTER_UNET_CONTRACT);
    const feeds = new UnetFeeds(setup.contexts, {
      inputs: { image_embeds: embeds, ip_scale: createTensor('float32', [], new Float32Array([imageWeight])) },
    });
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    const result = await components.generateImages(call, {
      seeds,
      unet: 'unet',
      previewEvery,
      rounding: 'round',
      start: (generator) => generator.randn(dims),
      denoise: { scheduler, guidance: setup.guidance, predict: unetPrediction(unet, feeds, call) },
    });
    return {
      images: result,
      seeds,
      timings: call.timings,
      parameters: {
        ...components.parameters('ip-adapter', prompt, {
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
        imageWeights: weights,
        imageWeight,
      },
    };
  }

  /**
   * `image_embeds` of the CFG batch: `[e₀, Σ wᵢ·eᵢ]` with e₀ the embedding of all-zero
   * `pixel_values` (spec §4.6 steps 2–4), or just the mix without guidance.
   */
  async #imageEmbeddings(
    call: GenerationCall,
    images: readonly RgbImage[],
    weights: readonly number[],
    guided: boolean,
  ): Promise<Tensor<'float32'>> {
    const components = this.components;
    const size = await this.#clipSize(call);
    const encoder = await components.session(call, 'image_encoder');
    const embeds = await call.stage('encode-image', 'image_encoder', async () => {
      const pixels = prepareClipPixelValues(images, { size });
      const rows = images.length + 1;
      // One run over the images and the all-zero "unconditional" image.
      const batch = createTensor('float32', [rows, 3, size, size]);
      batch.data.set(pixels.data);
      const output = (await encoder.run({ pixel_values: batch }, { signal: call.signal })).image_embeds as Tensor<'float32'>;
      const width = output.dims[1]!;
      const row = (index: number) => createTensor('float32', [1, width], output.data.slice(index * width, (index + 1) * width));
      const mixed = mixImageEmbeddings(
        images.map((_, index) => row(index)),
        weights,
      );
      if (!guided) return mixed;
      const pair = createTensor('float32', [2, width]);
      pair.data.set(row(images.length).data, 0);
      pair.data.set(mixed.data, width);
      return pair;
    });
    await components.releaseAfterStage(['image_encoder']);
    return embeds;
  }

  /** The encoder's square input side (`preprocessor_config.json` `crop_size`, spec §2.7). */
  async #clipSize(call: GenerationCall): Promise<number> {
    const folder = this.components.folder;
    try {
      const config = (await folder.readJson(folder.componentPath('image_encoder', 'preprocessor_config.json'), call.signal)) as {
        crop_size?: { height?: number } | number;
        size?: { shortest_edge?: number };
      };
      const crop = typeof config.crop_size === 'number' ? config.crop_size : config.crop_size?.height;
      const size = crop ?? config.size?.shortest_edge;
      return typeof size === 'number' ? size : CLIP_IMAGE_SIZE;
    } catch (error) {
      if ((error as { code?: string }).code === 'MODEL_NOT_FOUND') return CLIP_IMAGE_SIZE;
      throw error;
    }
  }
}
