import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import type { Backend } from '../backend/backend.js';
import type { LoadModelOptions } from '../backend/load-model-options.js';
import type { ModelSession } from '../backend/model-session.js';
import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { emitProgress } from '../events/emit-progress.js';
import { monotonicNow } from '../events/monotonic-now.js';
import type { ProgressCallback, StageName } from '../events/progress-event.js';
import type { WarningCode } from '../events/warning-codes.js';
import { WarningCodes } from '../events/warning-codes.js';
import { guideBatchInPlace } from '../guidance/classifier-free-guidance.js';
import { imagesToTensor, tensorToImages } from '../image/image-tensor.js';
import { resizeLikePillow } from '../image/pillow-resize.js';
import type { RgbImage } from '../image/rgb-image.js';
import {
  MOVQ_DECODER_CONTRACT,
  MOVQ_ENCODER_CONTRACT,
  TEXT_ENCODER_CONTRACT,
  TEXT_PROJECTION_CONTRACT,
  UNET_CONTRACT,
} from '../model/component-contracts.js';
import type { ModelFolder } from '../model/model-folder.js';
import type { PromptConvention } from '../model/model-index.js';
import { inlineNoiseSources, type NoiseSourceFactory, type TrajectoryNoiseSource } from '../noise/noise-source-factory.js';
import { TorchGenerator } from '../noise/torch-generator.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import { FLASH_TIMESTEPS, FlashSampler } from '../schedulers/flash-sampler.js';
import { Kandinsky3Sampler, TEXT_TO_IMAGE_PERCENTILE } from '../schedulers/kandinsky-sampler.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { assertStrength, strengthTimesteps } from '../schedulers/strength.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { ComponentSessions } from './component-sessions.js';
import type {
  BaseGenerationOptions,
  FlashOptions,
  GenerationParameters,
  GenerationResult,
  ImageToImageOptions,
  TextToImageOptions,
} from './generation-types.js';
import { encodePrompt, type PromptContexts } from './prompt-encoder.js';
import type { TextTokenizer } from './prompt-tokens.js';
import { TimestepTensors, UnetFeeds } from './unet-feeds.js';

/** Image sides must be multiples of this many pixels (spec §2.4: latent /8, UNet /8). */
export const PIXEL_MULTIPLE = 64;
/** Latent channels and MoVQ scale factor (spec §2.6). */
const LATENT_CHANNELS = 4;
const LATENT_SCALE = 8;

/** Options of {@link Kandinsky3Pipeline.create}. */
export interface Kandinsky3PipelineOptions {
  /** Runs the models. */
  backend: Backend;
  /** The opened model folder (docs/model-format.md). */
  folder: ModelFolder;
  /** The folder's tokenizer, adapted to {@link TextTokenizer} by the platform package. */
  tokenizer: TextTokenizer;
  /**
   * Release each stage's sessions (text encoder → UNet → decoder) right after the stage, so at
   * most one stage's weights are resident. Slower when generating repeatedly.
   * @default false
   */
  lowMemory?: boolean;
  /**
   * Options for every `backend.loadModel` (threads, optimisation level, ...).
   * @default {}
   */
  loadOptions?: LoadModelOptions;
  /**
   * Where the seeded noise is computed (always PyTorch's stream for each seed, DESIGN.md §5).
   * `@kandinsky/node`'s `createWorkerNoiseSources()` draws the step noise ahead on a worker
   * thread while the UNet runs. {@link Kandinsky3Pipeline.dispose} disposes it.
   * @default inlineNoiseSources (on the calling thread)
   */
  noiseSources?: NoiseSourceFactory;
}

interface Call {
  readonly signal: AbortSignalLike | undefined;
  readonly onProgress: ProgressCallback | undefined;
  readonly timings: Record<string, number>;
}

interface Variant {
  readonly unet: string;
  readonly projection: string;
}

const BASE: Variant = { unet: 'unet', projection: 'text_projection' };
const FLASH: Variant = { unet: 'unet_flash', projection: 'text_projection_flash' };

/**
 * Kandinsky 3 text → image, Flash and image → image over any {@link Backend}
 * (spec §4.2–§4.4). Components load lazily on first use.
 * ```ts
 * const pipeline = await Kandinsky3Pipeline.create({ backend, folder, tokenizer });
 * const { images, seeds } = await pipeline.textToImage({ prompt: 'a red circle', seed: 42 });
 * ```
 */
export class Kandinsky3Pipeline {
  readonly folder: ModelFolder;
  readonly convention: PromptConvention;
  readonly #tokenizer: TextTokenizer;
  readonly #sessions: ComponentSessions;
  readonly #lowMemory: boolean;
  readonly #defaultSize: number;
  readonly #nullEmbeddings = new Map<string, Promise<Float32Array>>();
  readonly #schedulers = new Map<string, Promise<Scheduler>>();
  readonly #noiseSources: NoiseSourceFactory;
  /** Shared by every call's UNet feeds (see UnetFeeds). */
  readonly #timestepTensors = new TimestepTensors();

  private constructor(options: Kandinsky3PipelineOptions, defaultSize: number) {
    this.folder = options.folder;
    this.convention = options.folder.index.convention!;
    this.#tokenizer = options.tokenizer;
    this.#sessions = new ComponentSessions(options.backend, options.folder, options.loadOptions);
    this.#lowMemory = options.lowMemory ?? false;
    this.#defaultSize = defaultSize;
    this.#noiseSources = options.noiseSources ?? inlineNoiseSources;
  }

  /** Validates the folder (a text → image convention and a UNet) and reads its defaults. */
  static async create(options: Kandinsky3PipelineOptions): Promise<Kandinsky3Pipeline> {
    const { folder } = options;
    const convention = folder.index.convention;
    if (convention !== 'A' && convention !== 'B') {
      throw new KandinskyError({
        code: 'INVALID_MODEL_MANIFEST',
        message: `The model ${JSON.stringify(folder.index.variant.name)} has prompt convention ${describeValue(
          convention,
        )}; Kandinsky3Pipeline needs "A" or "B".`,
        hint: 'Open a Kandinsky 3 text-to-image folder (convention A: original 3.1, B: diffusers port).',
      });
    }
    const unetConfig = folder.has('unet') ? await folder.config('unet') : {};
    const size = unetConfig.default_image_size;
    return new Kandinsky3Pipeline(options, typeof size === 'number' ? size : 1024);
  }

  /** The model's default image side in pixels. */
  get defaultImageSize(): number {
    return this.#defaultSize;
  }

  /** Text → image with classifier-free guidance (spec §4.2). */
  async textToImage(options: TextToImageOptions): Promise<GenerationResult> {
    return this.#guided('text-to-image', options, undefined);
  }

  /** Image → image from `options.image` with `strength` (spec §4.4). */
  async imageToImage(options: ImageToImageOptions): Promise<GenerationResult> {
    const strength = options.strength ?? 0.3;
    assertStrength(strength);
    return this.#guided('image-to-image', options, { image: options.image, strength });
  }

  /** Kandinsky Flash: 4 fixed timesteps, no guidance (spec §3.5, §4.3). */
  async flash(options: FlashOptions): Promise<GenerationResult> {
    const call = this.#call(options);
    const { width, height, seeds } = this.#resolveCommon(options);
    for (const [name, value] of [
      ['negativePrompt', options.negativePrompt],
      ['guidanceScale', options.guidanceScale],
    ] as const) {
      if (value !== undefined) {
        this.#warn(call, WarningCodes.OPTION_IGNORED, `Flash ignores ${name} (${describeValue(value)}): it runs without guidance (spec §4.3).`);
      }
    }
    const contexts = await this.#encode(call, FLASH, {
      prompt: options.prompt,
      negativePrompt: undefined,
      withUnconditional: false,
    });
    const sampler = new FlashSampler();
    const unet = await this.#session(call, FLASH.unet);
    const feeds = new UnetFeeds([contexts.conditional], this.#timestepTensors);
    const latents: Tensor<'float32'>[] = [];
    for (const seed of seeds) {
      const generator = new TorchGenerator(seed);
      const latent = await this.#stage(call, 'denoise', FLASH.unet, () =>
        sampler.sample({
          initial: generator.randn([1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE]),
          generator,
          signal: call.signal,
          model: async (noisy, timestep, index) => {
            const eps = await this.#runUnet(unet, call, feeds, noisy, timestep);
            if (call.onProgress) emitProgress(call.onProgress, { type: 'step', stage: 'denoise', index, total: sampler.timesteps.length, timestep });
            return eps;
          },
        }),
      );
      latents.push(latent);
    }
    if (this.#lowMemory) await this.#sessions.release([FLASH.unet]);
    const images = await this.#decode(call, latents, 'truncate');
    return {
      images,
      seeds,
      timings: call.timings,
      parameters: this.#parameters('flash', options, {
        width,
        height,
        seeds,
        steps: FLASH_TIMESTEPS.length,
        guidanceScale: undefined,
        strength: undefined,
        sampler: 'Flash',
        timesteps: sampler.timesteps,
        negativePrompt: undefined,
      }),
    };
  }

  /**
   * Disposes every loaded session and the noise sources' threads. The pipeline can still be used:
   * both come back on demand.
   */
  async dispose(): Promise<void> {
    await Promise.all([this.#sessions.release(), this.#noiseSources.dispose()]);
  }

  // ---------------------------------------------------------------------------------------------

  async #guided(
    mode: 'text-to-image' | 'image-to-image',
    options: TextToImageOptions,
    img2img: { image: RgbImage; strength: number } | undefined,
  ): Promise<GenerationResult> {
    const call = this.#call(options);
    const { width, height, seeds } = this.#resolveCommon(options);
    const samplerKind = options.sampler ?? (this.convention === 'A' ? 'original' : 'scheduler');
    if (samplerKind !== 'original' && samplerKind !== 'scheduler') {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `Unknown sampler ${describeValue(samplerKind)}.`,
        hint: 'Use "original" (Kandinsky 3.1 sampler) or "scheduler" (the folder\'s diffusers scheduler).',
      });
    }
    const guidanceScale = options.guidanceScale ?? 3;
    if (typeof guidanceScale !== 'number' || !Number.isFinite(guidanceScale) || guidanceScale < 0) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `guidanceScale must be a finite number ≥ 0, got ${describeValue(guidanceScale)}.`,
        hint: 'Kandinsky 3 uses 3 (equivalent to a "standard" CFG scale of 4); 0 disables guidance.',
      });
    }
    const steps = options.steps ?? (samplerKind === 'original' ? 50 : 25);
    const scheduler = await this.#scheduler(samplerKind, steps);
    // diffusers/K3D skip CFG for w ≤ 1 (spec §3.8); the original code always applies it.
    const guided = this.convention === 'A' ? true : guidanceScale > 1;
    const order = this.convention === 'A' ? 'cond-first' : 'uncond-first';
    const conditionalFirst = order === 'cond-first';
    const guidance = { guidanceScale, order } as const;
    let startIndex = 0;
    let timesteps: readonly number[] = scheduler.timesteps;
    if (img2img) {
      const plan = strengthTimesteps(scheduler, img2img.strength);
      startIndex = plan.startIndex;
      timesteps = plan.timesteps;
    }

    const latentDims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    // The first seed's noise source is made before the prompt is encoded, so a worker-backed one
    // (@kandinsky/node's createWorkerNoiseSources) starts drawing while the text encoder runs.
    // One draw for the start and one per step (spec §3.2: the last step draws too).
    const trajectory = { draws: timesteps.length + 1 };
    let firstNoise: TrajectoryNoiseSource | undefined = this.#noiseSources.create(seeds[0]!, latentDims, trajectory);
    let feeds: UnetFeeds;
    let encoded: Tensor<'float32'> | undefined;
    let unet: ModelSession;
    try {
      const contexts = await this.#encode(call, BASE, {
        prompt: options.prompt,
        negativePrompt: options.negativePrompt,
        withUnconditional: guided,
      });
      feeds = new UnetFeeds(
        guided
          ? order === 'cond-first'
            ? [contexts.conditional, contexts.unconditional!]
            : [contexts.unconditional!, contexts.conditional]
          : [contexts.conditional],
        this.#timestepTensors,
      );
      if (img2img) encoded = await this.#encodeImage(call, img2img.image, width, height);
      unet = await this.#session(call, BASE.unet);
    } catch (error) {
      firstNoise.release();
      throw error;
    }
    const runOptions = { signal: call.signal };
    const latents: Tensor<'float32'>[] = [];
    const returnPredOriginalSample = (options.previewEvery ?? 0) > 0;
    for (const seed of seeds) {
      // The step noise is consumed inside scheduler.step, before the next prefetch.
      const noise = firstNoise ?? this.#noiseSources.create(seed, latentDims, trajectory);
      firstNoise = undefined;
      try {
        // Steps write their new sample into one of two buffers in turn (never the sample they
        // read); no scheduler keeps a sample across steps. The last one is this seed's latent.
        const outputs = [createTensor('float32', latentDims), createTensor('float32', latentDims)] as const;
        // Step options per output buffer, made once (schedulers do not keep them).
        const stepOptions = outputs.map((out) => ({ generator: noise, out, returnPredOriginalSample }));
        const state = scheduler.createState();
        state.stepIndex = startIndex;
        let x: Tensor<'float32'>;
        if (encoded) {
          const start = noise.randn(latentDims);
          x = timesteps.length > 0 ? scheduler.addNoise(encoded, start, timesteps[0]!) : encoded;
        } else {
          x = noise.randn(latentDims);
          if (scheduler.initNoiseSigma !== 1) for (let i = 0; i < x.data.length; i++) x.data[i] *= scheduler.initNoiseSigma;
        }
        await this.#stage(call, 'denoise', BASE.unet, async () => {
          for (let index = 0; index < timesteps.length; index++) {
            throwIfAborted(call.signal, 'Denoising');
            const timestep = timesteps[index]!;
            const input = scheduler.scaleModelInput(x, timestep, state);
            const running = unet.run(feeds.at(input, timestep), runOptions);
            // Draw the step's noise while a truly asynchronous runtime (WebGPU in the browser)
            // or worker thread computes; the stream is unchanged (sources rewind unused draws).
            noise.prefetch(latentDims);
            const eps = (await running).noise_pred as Tensor<'float32'>;
            const optionsOfStep = stepOptions[index & 1]!;
            // CFG (guidanceScale was checked above): the original sampler forms it inside its x0
            // pass; other schedulers get it written over the conditional half of the batch.
            const step = !guided
              ? scheduler.step(eps, timestep, x, state, optionsOfStep)
              : scheduler instanceof Kandinsky3Sampler
                ? scheduler.stepGuided(eps, guidance, timestep, x, state, optionsOfStep)
                : scheduler.step(guideBatchInPlace(eps, guidanceScale, conditionalFirst), timestep, x, state, optionsOfStep);
            x = step.prevSample;
            if (call.onProgress) emitProgress(call.onProgress, { type: 'step', stage: 'denoise', index, total: timesteps.length, timestep });
            // Only await (one more turn of the microtask queue per step) when previews are on.
            if (returnPredOriginalSample) await this.#maybePreview(call, options.previewEvery, index, step.predOriginalSample);
          }
        });
        latents.push(x);
      } finally {
        noise.release();
      }
    }
    if (this.#lowMemory) await this.#sessions.release([BASE.unet]);
    const images = await this.#decode(call, latents, this.convention === 'A' ? 'truncate' : 'round');
    return {
      images,
      seeds,
      timings: call.timings,
      parameters: this.#parameters(mode, options, {
        width,
        height,
        seeds,
        steps: timesteps.length,
        guidanceScale,
        strength: img2img?.strength,
        sampler: scheduler.name,
        timesteps,
        negativePrompt: guided ? options.negativePrompt : undefined,
      }),
    };
  }

  /**
   * The scheduler for `kind` with its timesteps set for `steps`, built once per pipeline: the
   * config file is read and the tables computed on first use only. Sharing is safe because every
   * call keeps its trajectory in its own state object and `step` runs synchronously.
   */
  #scheduler(kind: 'original' | 'scheduler', steps: number): Promise<Scheduler> {
    const key = `${kind}:${steps}`;
    let scheduler = this.#schedulers.get(key);
    if (!scheduler) {
      scheduler = this.#createScheduler(kind).then((created) => {
        created.setTimesteps(steps);
        return created;
      });
      this.#schedulers.set(key, scheduler);
      scheduler.catch(() => this.#schedulers.delete(key));
    }
    return scheduler;
  }

  async #createScheduler(kind: 'original' | 'scheduler'): Promise<Scheduler> {
    if (kind === 'original') {
      const path = this.folder.componentPath('scheduler', 'sampler_config.json');
      let percentile: number | null = TEXT_TO_IMAGE_PERCENTILE;
      let eta = 1;
      try {
        const config = (await this.folder.readJson(path)) as { text_to_image?: { threshold_percentile?: number | null; eta?: number } };
        if (config.text_to_image?.threshold_percentile !== undefined) percentile = config.text_to_image.threshold_percentile;
        if (config.text_to_image?.eta !== undefined) eta = config.text_to_image.eta;
      } catch (error) {
        // sampler_config.json is optional: the spec's defaults apply (spec §4.2).
        if (!(KandinskyError.isInstance(error) && error.code === 'MODEL_NOT_FOUND')) throw error;
      }
      return new Kandinsky3Sampler({ percentile, eta });
    }
    const config = await this.folder.readJson(this.folder.componentPath('scheduler', 'scheduler_config.json'));
    return createScheduler(config as Record<string, unknown>);
  }

  #call(options: BaseGenerationOptions): Call {
    throwIfAborted(options.signal, 'Generation');
    return { signal: options.signal, onProgress: options.onProgress, timings: {} };
  }

  #warn(call: Call, code: WarningCode, message: string): void {
    emitProgress(call.onProgress, { type: 'warning', code, message });
  }

  #resolveCommon(options: BaseGenerationOptions): { width: number; height: number; seeds: number[] } {
    if (typeof options.prompt !== 'string') {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `prompt must be a string, got ${describeValue(options.prompt)}.`,
        hint: 'Pass the prompt as text.',
      });
    }
    const side = (name: 'width' | 'height'): number => {
      const value = options[name] ?? this.#defaultSize;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new KandinskyError({
          code: 'INVALID_ARGUMENT',
          message: `${name} must be a positive integer, got ${describeValue(value)}.`,
          hint: `Use a multiple of ${PIXEL_MULTIPLE}, e.g. ${this.#defaultSize}.`,
        });
      }
      if (value % PIXEL_MULTIPLE === 0) return value;
      if (options.roundSize) return Math.ceil(value / PIXEL_MULTIPLE) * PIXEL_MULTIPLE;
      const lower = Math.max(PIXEL_MULTIPLE, Math.floor(value / PIXEL_MULTIPLE) * PIXEL_MULTIPLE);
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `${name} ${value} is not a multiple of ${PIXEL_MULTIPLE} (spec §2.4: the latent is 1/8 of the image and the UNet halves it three times).`,
        hint: `Use ${lower} or ${lower + PIXEL_MULTIPLE}, or pass roundSize: true to round up.`,
        details: { [name]: value },
      });
    };
    const width = side('width');
    const height = side('height');
    let seeds: number[];
    if (options.seeds !== undefined) {
      if (!Array.isArray(options.seeds) || options.seeds.length === 0) {
        throw new KandinskyError({
          code: 'INVALID_ARGUMENT',
          message: `seeds must be a non-empty array, got ${describeValue(options.seeds)}.`,
          hint: 'Pass one seed per image, e.g. [1, 2, 3].',
        });
      }
      seeds = [...options.seeds];
    } else {
      const count = options.count ?? 1;
      if (!Number.isInteger(count) || count < 1) {
        throw new KandinskyError({
          code: 'INVALID_ARGUMENT',
          message: `count must be an integer ≥ 1, got ${describeValue(count)}.`,
          hint: 'Ask for at least one image.',
        });
      }
      const first = options.seed ?? Math.floor(Math.random() * 2 ** 32);
      seeds = Array.from({ length: count }, (_, i) => first + i);
    }
    for (const seed of seeds) {
      if (!Number.isSafeInteger(seed) || seed < 0) {
        throw new KandinskyError({
          code: 'INVALID_ARGUMENT',
          message: `A seed must be a non-negative safe integer, got ${describeValue(seed)}.`,
          hint: 'Use an integer such as 42 (as torch.manual_seed takes).',
        });
      }
    }
    const previewEvery = options.previewEvery ?? 0;
    if (!Number.isInteger(previewEvery) || previewEvery < 0) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `previewEvery must be an integer ≥ 0, got ${describeValue(previewEvery)}.`,
        hint: 'Use 0 for no previews or e.g. 5 for a preview every 5 steps.',
      });
    }
    return { width, height, seeds };
  }

  async #stage<T>(call: Call, stage: StageName, component: string | undefined, work: () => Promise<T>): Promise<T> {
    const started = monotonicNow();
    // Events only with a listener (their objects cost time on small models).
    if (call.onProgress) emitProgress(call.onProgress, { type: 'stage', stage, status: 'start', ...(component ? { component } : {}) });
    try {
      return await work();
    } finally {
      const elapsedMs = monotonicNow() - started;
      call.timings[stage] = (call.timings[stage] ?? 0) + elapsedMs;
      if (call.onProgress) emitProgress(call.onProgress, { type: 'stage', stage, status: 'end', elapsedMs, ...(component ? { component } : {}) });
    }
  }

  async #session(call: Call, role: string): Promise<ModelSession> {
    const contract = role.startsWith('unet')
      ? UNET_CONTRACT
      : role.startsWith('text_projection')
        ? TEXT_PROJECTION_CONTRACT
        : role === 'text_encoder'
          ? TEXT_ENCODER_CONTRACT
          : role === 'movq_encoder'
            ? MOVQ_ENCODER_CONTRACT
            : MOVQ_DECODER_CONTRACT;
    const loaded = this.#sessions.loaded.includes(role);
    if (loaded) return this.#sessions.get(role, contract, call.signal);
    return this.#stage(call, 'load-model', role, () => this.#sessions.get(role, contract, call.signal));
  }

  async #encode(
    call: Call,
    variant: Variant,
    prompt: { prompt: string; negativePrompt: string | undefined; withUnconditional: boolean },
  ): Promise<PromptContexts> {
    const encoder = await this.#session(call, 'text_encoder');
    const projection =
      this.convention === 'A' ? await this.#session(call, variant.projection) : undefined;
    const nullEmbedding =
      this.convention === 'A' && prompt.withUnconditional ? await this.#nullEmbedding(variant.projection, call.signal) : undefined;
    const result = await this.#stage(call, 'encode-prompt', 'text_encoder', () =>
      encodePrompt(
        {
          tokenizer: this.#tokenizer,
          encode: async (ids, mask) =>
            (await encoder.run({ input_ids: ids, attention_mask: mask }, { signal: call.signal }))
              .last_hidden_state as Tensor<'float32'>,
          ...(projection
            ? {
                project: async (hidden: Tensor<'float32'>) =>
                  (await projection.run({ hidden }, { signal: call.signal })).context as Tensor<'float32'>,
              }
            : {}),
          ...(nullEmbedding ? { nullEmbedding } : {}),
        },
        {
          convention: this.convention,
          prompt: prompt.prompt,
          negativePrompt: prompt.negativePrompt,
          withUnconditional: prompt.withUnconditional,
          warn: (code, message) => this.#warn(call, code, message),
        },
      ),
    );
    if (this.#lowMemory) await this.#sessions.release(['text_encoder', variant.projection]);
    return result;
  }

  #nullEmbedding(role: string, signal: AbortSignalLike | undefined): Promise<Float32Array> {
    let embedding = this.#nullEmbeddings.get(role);
    if (!embedding) {
      embedding = (async () => {
        const config = await this.folder.config(role, signal);
        const file = typeof config.null_embedding === 'string' ? config.null_embedding : 'null_embedding.bin';
        const bytes = await this.folder.files.readBytes(this.folder.componentPath(role, file), signal);
        // Copy into an aligned buffer: the file's bytes may start at any offset.
        const aligned = new Uint8Array(bytes.byteLength);
        aligned.set(bytes);
        return new Float32Array(aligned.buffer);
      })();
      this.#nullEmbeddings.set(role, embedding);
      embedding.catch(() => this.#nullEmbeddings.delete(role));
    }
    return embedding;
  }

  async #runUnet(
    unet: ModelSession,
    call: Call,
    feeds: UnetFeeds,
    sample: Tensor<'float32'>,
    timestep: number,
  ): Promise<Tensor<'float32'>> {
    const outputs = await unet.run(feeds.at(sample, timestep), { signal: call.signal });
    return outputs.noise_pred as Tensor<'float32'>;
  }

  async #encodeImage(call: Call, image: RgbImage, width: number, height: number): Promise<Tensor<'float32'>> {
    const encoder = await this.#session(call, 'movq_encoder');
    const latent = await this.#stage(call, 'encode-image', 'movq_encoder', async () => {
      // spec §4.4: the image is resized to the output size with a bicubic filter, to [−1, 1].
      const sized =
        image.width === width && image.height === height ? image : resizeLikePillow(image, { width, height, filter: 'bicubic' });
      const outputs = await encoder.run({ image: imagesToTensor(sized) }, { signal: call.signal });
      return outputs.latent as Tensor<'float32'>;
    });
    if (this.#lowMemory) await this.#sessions.release(['movq_encoder']);
    return latent;
  }

  async #decode(call: Call, latents: readonly Tensor<'float32'>[], rounding: 'round' | 'truncate'): Promise<RgbImage[]> {
    const decoder = await this.#session(call, 'movq_decoder');
    const images = await this.#stage(call, 'decode', 'movq_decoder', async () => {
      const result: RgbImage[] = [];
      for (const latent of latents) {
        throwIfAborted(call.signal, 'Decoding');
        const outputs = await decoder.run({ latent }, { signal: call.signal });
        result.push(...tensorToImages(outputs.image as Tensor<'float32'>, { rounding }));
      }
      return result;
    });
    if (this.#lowMemory) await this.#sessions.release(['movq_decoder']);
    return images;
  }

  async #maybePreview(call: Call, every: number | undefined, index: number, x0: Tensor<'float32'> | undefined): Promise<void> {
    if (!every || !x0 || (index + 1) % every !== 0 || !call.onProgress) return;
    const decoder = await this.#session(call, 'movq_decoder');
    const outputs = await decoder.run({ latent: x0 }, { signal: call.signal });
    const [image] = tensorToImages(outputs.image as Tensor<'float32'>, { rounding: 'round' });
    emitProgress(call.onProgress, { type: 'preview', stage: 'denoise', step: index, image: image! });
  }

  #parameters(
    mode: GenerationParameters['mode'],
    options: BaseGenerationOptions,
    resolved: Omit<GenerationParameters, 'mode' | 'prompt' | 'convention' | 'model'>,
  ): GenerationParameters {
    return {
      mode,
      prompt: options.prompt,
      convention: this.convention,
      model: this.folder.index.variant.name,
      ...resolved,
    };
  }
}
