import { throwIfAborted } from '../abort/throw-if-aborted.js';
import type { Backend } from '../backend/backend.js';
import type { LoadModelOptions } from '../backend/load-model-options.js';
import type { ModelSession } from '../backend/model-session.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import { describeValue, KandinskyError } from '../errors/kandinsky-error.js';
import { emitProgress } from '../events/emit-progress.js';
import { imagesToTensor, tensorToImages, type PixelRounding } from '../image/image-tensor.js';
import { resizeLikePillow } from '../image/pillow-resize.js';
import type { RgbImage } from '../image/rgb-image.js';
import { COMPONENT_CONTRACTS } from '../model/component-contracts.js';
import type { ModelFolder } from '../model/model-folder.js';
import type { PromptConvention } from '../model/model-index.js';
import { TorchGenerator } from '../noise/torch-generator.js';
import { createScheduler } from '../schedulers/create-scheduler.js';
import { swapSchedulerClass, type SchedulerChoice } from '../schedulers/scheduler-choice.js';
import { INPAINTING_PERCENTILE, Kandinsky3Sampler, TEXT_TO_IMAGE_PERCENTILE } from '../schedulers/kandinsky-sampler.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import type { Tensor } from '../tensor/tensor.js';
import { ComponentSessions } from './component-sessions.js';
import { checkGenerationCall, type GenerationCall } from './generation-call.js';
import { denoise, type DenoiseOptions, type DenoiseStep } from './denoise.js';
import type { GenerationParameters } from './generation-types.js';
import { encodePrompt, type PromptContexts } from './prompt-encoder.js';
import type { TextTokenizer } from './prompt-tokens.js';
import { checkFunction, checkObject } from '../errors/argument-checks.js';

/** A diffusers class to build from the folder's scheduler config (see `swapSchedulerClass`). */
type SwappedScheduler = Extract<SchedulerChoice, { kind: 'scheduler' }>;

/** Latent channels and MoVQ scale factor (spec §2.6). */
export const LATENT_CHANNELS = 4;
export const LATENT_SCALE = 8;

/** Options of {@link Kandinsky3Components.create}. */
export interface Kandinsky3ComponentsOptions {
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
   * The prompt conventions (spec §4.1) the caller's pipelines implement; a folder with another
   * one is rejected with INVALID_MODEL_MANIFEST. The IP-Adapter and ControlNet pipelines pass `['C']`.
   * @default ['A', 'B']
   */
  conventions?: readonly PromptConvention[];
}

/** The UNet and text projection a task runs: the base model's or Flash's (spec §3.5). */
export interface UnetVariant {
  readonly unet: string;
  readonly projection: string;
}

export const BASE_VARIANT: UnetVariant = { unet: 'unet', projection: 'text_projection' };
export const FLASH_VARIANT: UnetVariant = { unet: 'unet_flash', projection: 'text_projection_flash' };
/** The 9-channel inpainting UNet and its projection (spec §2.5, §4.5). */
export const INPAINTING_VARIANT: UnetVariant = { unet: 'unet_inpainting', projection: 'text_projection_inpainting' };

/** Which section of `scheduler/sampler_config.json` the original sampler reads (spec §3.2: percentile per task). */
export type SamplerTask = 'text_to_image' | 'inpainting';

/**
 * What the Kandinsky 3 task pipelines share over one model folder: lazily loaded sessions (each
 * checked against its role's contract), the stages around the denoising loop (prompt encoding,
 * image encoding, decoding, previews) and the samplers. Pipelines built on one instance share its
 * sessions.
 */
export class Kandinsky3Components {
  readonly folder: ModelFolder;
  readonly convention: PromptConvention;
  /** The model's default image side in pixels (`unet/config.json` `default_image_size`). */
  readonly defaultImageSize: number;
  readonly lowMemory: boolean;
  readonly #tokenizer: TextTokenizer;
  readonly #sessions: ComponentSessions;
  readonly #nullEmbeddings = new Map<string, Promise<Float32Array>>();
  readonly #schedulers = new Map<string, Promise<Scheduler>>();

  /**
   * The folder's tokenizer (a beautifier counts the 128 tokens the text encoder keeps with it;
   * convention C pipelines encode prompts on their own).
   */
  get tokenizer(): TextTokenizer {
    return this.#tokenizer;
  }

  private constructor(options: Kandinsky3ComponentsOptions, convention: PromptConvention, defaultImageSize: number) {
    this.folder = options.folder;
    this.convention = convention;
    this.defaultImageSize = defaultImageSize;
    this.lowMemory = options.lowMemory ?? false;
    this.#tokenizer = options.tokenizer;
    this.#sessions = new ComponentSessions(options.backend, options.folder, options.loadOptions);
  }

  /**
   * Checks that the folder is a Kandinsky 3 text → image folder (convention A or B) and reads its
   * default size. Throws INVALID_MODEL_MANIFEST otherwise.
   */
  static async create(options: Kandinsky3ComponentsOptions): Promise<Kandinsky3Components> {
    checkComponentsOptions(options);
    const { folder } = options;
    const convention: PromptConvention | undefined = folder.index.convention;
    const accepted = options.conventions ?? ['A', 'B'];
    if (convention === undefined || !accepted.includes(convention)) {
      if (accepted.length === 1 && accepted[0] === 'C') {
        throw kandinskyError(
          'INVALID_MODEL_MANIFEST',
          `The model ${JSON.stringify(folder.index.variant.name)} has prompt convention ${describeValue(convention)}; the IP-Adapter and ControlNet pipelines need "C" (K3D).`,
          'Open a Kandinsky 3 IP-Adapter or ControlNet folder (convention C), e.g. models/tiny/kandinsky3-tiny-ip-adapter.',
          { convention },
        );
      }
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `The model ${JSON.stringify(folder.index.variant.name)} has prompt convention ${describeValue(convention)}; the Kandinsky 3 pipelines need "A" or "B".`,
        'Open a Kandinsky 3 text-to-image folder (convention A: original 3.1, B: diffusers port).',
      );
    }
    // Every mode encodes a prompt and decodes latents: a folder without these fails now, when it is
    // opened, not after the whole denoising loop has run.
    const missing = ['text_encoder', 'movq_decoder'].filter((role) => !folder.has(role));
    if (missing.length > 0) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `The model ${JSON.stringify(folder.index.variant.name)} has no ${missing.map((role) => `"${role}"`).join(' or ')} component, which every Kandinsky 3 mode needs.`,
        'Use a model folder whose model_index.json lists text_encoder and movq_decoder (docs/model-format.md).',
        { missing },
      );
    }
    const unetConfig = folder.has('unet') ? await folder.config('unet') : {};
    const size = unetConfig.default_image_size;
    return new Kandinsky3Components(options, convention, typeof size === 'number' ? size : 1024);
  }

  /**
   * The session of `role`, loaded on first use (a `load-model` stage) and checked against
   * `contract` (an IP-Adapter or ControlNet `unet` names its own).
   */
  async session(call: GenerationCall, role: string, contract = COMPONENT_CONTRACTS[role]): Promise<ModelSession> {
    checkGenerationCall(call);
    if (contract === undefined) {
      throw kandinskyError('INVALID_ARGUMENT', `No component contract for role ${describeValue(role)}.`, 'Use a role of docs/model-format.md §1.1.');
    }
    if (this.#sessions.loaded.includes(role)) return this.#sessions.get(role, contract, call.signal);
    return call.stage('load-model', role, () => this.#sessions.get(role, contract, call.signal));
  }

  /** In low-memory mode, disposes the sessions of `roles` (a stage has ended). */
  async releaseAfterStage(roles: readonly string[]): Promise<void> {
    if (this.lowMemory) await this.#sessions.release(roles);
  }

  /** Calls in flight (see {@link track}); dispose() waits for them. */
  readonly #inFlight = new Set<Promise<unknown>>();
  /** The end of the low-memory queue: the last admitted call, settled. */
  #queue: Promise<void> = Promise.resolve();

  /**
   * Runs one public call (`textToImage`, `variation`, …) so that concurrency is safe: in low-memory
   * mode calls run one at a time in the order they were made, because each call releases its
   * stages' sessions and would otherwise dispose one that another call is running (this failed
   * with SESSION_DISPOSED); without it calls run concurrently and share the sessions. Every call is
   * counted in flight for {@link dispose}.
   */
  track<T>(work: () => Promise<T>): Promise<T> {
    checkFunction('work', work, 'a function returning a promise', 'Pass the body of the public call.');
    let result: Promise<T>;
    if (this.lowMemory) {
      result = this.#queue.then(work);
      this.#queue = result.then(
        () => undefined,
        () => undefined,
      );
    } else {
      // Promise.resolve: a work function that returns a value (not a promise) is tracked as well.
      result = Promise.resolve(work());
    }
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return result;
  }

  /**
   * Disposes every loaded session; they load again on demand. Calls in flight finish first (and
   * succeed): dispose() resolves once they have settled and the sessions are released.
   */
  async dispose(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    await this.#sessions.release();
  }

  /** The prompt contexts of spec §4.1 for `variant`'s projection. */
  async encodePrompt(
    call: GenerationCall,
    variant: UnetVariant,
    prompt: { prompt: string; negativePrompt: string | undefined; withUnconditional: boolean },
  ): Promise<PromptContexts> {
    const encoder = await this.session(call, 'text_encoder');
    const projection = this.convention === 'A' ? await this.session(call, variant.projection) : undefined;
    const nullEmbedding =
      this.convention === 'A' && prompt.withUnconditional ? await this.#nullEmbedding(call, variant.projection) : undefined;
    const run = { signal: call.signal };
    const contexts = await call.stage('encode-prompt', 'text_encoder', () =>
      encodePrompt(
        {
          tokenizer: this.#tokenizer,
          encode: async (ids, mask) =>
            (await encoder.run({ input_ids: ids, attention_mask: mask }, run)).last_hidden_state as Tensor<'float32'>,
          ...(projection
            ? { project: async (hidden: Tensor<'float32'>) => (await projection.run({ hidden }, run)).context as Tensor<'float32'> }
            : {}),
          ...(nullEmbedding ? { nullEmbedding } : {}),
        },
        {
          convention: this.convention,
          prompt: prompt.prompt,
          negativePrompt: prompt.negativePrompt,
          withUnconditional: prompt.withUnconditional,
          warn: (code, message) => call.warn(code, message),
        },
      ),
    );
    await this.releaseAfterStage(['text_encoder', variant.projection]);
    return contexts;
  }

  /** MoVQ latent of `image`, resized to `width` × `height` with Pillow's bicubic filter (spec §4.4). */
  async encodeImage(call: GenerationCall, image: RgbImage, width: number, height: number): Promise<Tensor<'float32'>> {
    const encoder = await this.session(call, 'movq_encoder');
    const latent = await call.stage('encode-image', 'movq_encoder', async () => {
      const sized = image.width === width && image.height === height ? image : resizeLikePillow(image, { width, height, filter: 'bicubic' });
      return (await encoder.run({ image: imagesToTensor(sized) }, { signal: call.signal })).latent as Tensor<'float32'>;
    });
    await this.releaseAfterStage(['movq_encoder']);
    return latent;
  }

  /** MoVQ latent of an image tensor already in [−1, 1] at its working size (inpainting's masked image). */
  async encodeImageTensor(call: GenerationCall, image: Tensor<'float32'>): Promise<Tensor<'float32'>> {
    const encoder = await this.session(call, 'movq_encoder');
    const latent = await call.stage(
      'encode-image',
      'movq_encoder',
      async () => (await encoder.run({ image }, { signal: call.signal })).latent as Tensor<'float32'>,
    );
    await this.releaseAfterStage(['movq_encoder']);
    return latent;
  }

  /**
   * Decodes latents to images: truncating like the ai-forever code for convention A and Flash,
   * rounding like diffusers for B (spec §5).
   */
  async decode(call: GenerationCall, latents: readonly Tensor<'float32'>[], rounding: PixelRounding): Promise<RgbImage[]> {
    const decoder = await this.session(call, 'movq_decoder');
    const images = await call.stage('decode', 'movq_decoder', async () => {
      const result: RgbImage[] = [];
      for (const latent of latents) {
        throwIfAborted(call.signal, 'Decoding');
        const outputs = await decoder.run({ latent }, { signal: call.signal });
        result.push(...tensorToImages(outputs.image as Tensor<'float32'>, { rounding }));
      }
      return result;
    });
    await this.releaseAfterStage(['movq_decoder']);
    return images;
  }

  /**
   * The images of a call: per seed, a fresh `TorchGenerator(seed)` (each image reproducible on its
   * own, spec §4.2) makes the start latent through `start` and continues into the steps' noise;
   * `denoise` runs as a `denoise` stage; then the UNet is released (low-memory mode) and the
   * latents are decoded with `rounding`.
   */
  async generateImages(
    call: GenerationCall,
    request: {
      readonly seeds: readonly number[];
      readonly unet: string;
      readonly previewEvery: number;
      readonly rounding: PixelRounding;
      readonly start: (generator: TorchGenerator) => Tensor<'float32'>;
      readonly denoise: Omit<DenoiseOptions, 'latent' | 'generator' | 'onStep' | 'signal'>;
    },
  ): Promise<RgbImage[]> {
    checkGenerationCall(call);
    checkObject('request', request, 'a request { seeds, unet, previewEvery, rounding, start, denoise }', 'Task pipelines build it from their options.');
    const latents: Tensor<'float32'>[] = [];
    for (const seed of request.seeds) {
      const generator = new TorchGenerator(seed);
      const latent = request.start(generator);
      latents.push(
        await call.stage('denoise', request.unet, async () =>
          assertFiniteLatent(
            seed,
            await
          denoise({
            ...request.denoise,
            latent,
            generator,
            onStep: this.stepListener(call, request.previewEvery),
            signal: call.signal,
          }),
          ),
        ),
      );
    }
    await this.releaseAfterStage([request.unet]);
    return this.decode(call, latents, request.rounding);
  }

  /**
   * A `denoise` step listener: `step` events and, every `previewEvery` steps, a `preview` decoded
   * from the x0 estimate. Undefined without a progress listener (nothing to report).
   */
  stepListener(call: GenerationCall, previewEvery: number): ((step: DenoiseStep) => Promise<void>) | undefined {
    checkGenerationCall(call);
    const onProgress = call.onProgress;
    if (!onProgress) return undefined;
    return async ({ index, total, timestep, predOriginalSample }) => {
      emitProgress(onProgress, { type: 'step', stage: 'denoise', index, total, timestep });
      if (previewEvery === 0 || !predOriginalSample || (index + 1) % previewEvery !== 0) return;
      const decoder = await this.session(call, 'movq_decoder');
      const outputs = await decoder.run({ latent: predOriginalSample }, { signal: call.signal });
      const [image] = tensorToImages(outputs.image as Tensor<'float32'>, { rounding: 'round' });
      emitProgress(onProgress, { type: 'preview', stage: 'denoise', step: index, image: image! });
    };
  }

  /**
   * The scheduler of a guided task with its timesteps set for `steps`: `original` is the
   * Kandinsky 3.1 sampler (spec §3.2, `scheduler/sampler_config.json` when present), `scheduler`
   * the folder's diffusers `scheduler_config.json` (spec §3.3), with its class swapped to `choice`'s
   * when given and `overrides` applied (diffusers' `from_config(config, **overrides)`). `task`
   * picks the original sampler's section of `sampler_config.json` (inpainting thresholds at 0.95,
   * spec §3.2). Built once per kind, task, choice, overrides and step count: calls keep their
   * trajectories in their own states.
   */
  scheduler(
    kind: 'original' | 'scheduler',
    steps: number,
    options: { task?: SamplerTask; choice?: SwappedScheduler; overrides?: Readonly<Record<string, unknown>> } = {},
  ): Promise<Scheduler> {
    const { task = 'text_to_image', choice, overrides } = options;
    const key = `${kind}:${task}:${choice?.name ?? ''}:${JSON.stringify(overrides ?? {})}:${steps}`;
    let scheduler = this.#schedulers.get(key);
    if (!scheduler) {
      scheduler = this.#createScheduler(kind, task, choice, overrides).then((created) => {
        created.setTimesteps(steps);
        return created;
      });
      this.#schedulers.set(key, scheduler);
      scheduler.catch(() => this.#schedulers.delete(key));
    }
    return scheduler;
  }

  /** The parameters a call used, for the result and the PNG metadata. */
  parameters(
    mode: GenerationParameters['mode'],
    prompt: string,
    resolved: Omit<GenerationParameters, 'mode' | 'prompt' | 'convention' | 'model'>,
  ): GenerationParameters {
    return { mode, prompt, convention: this.convention, model: this.folder.index.variant.name, ...resolved };
  }

  async #createScheduler(
    kind: 'original' | 'scheduler',
    task: SamplerTask,
    choice?: SwappedScheduler,
    overrides: Readonly<Record<string, unknown>> = {},
  ): Promise<Scheduler> {
    if (kind === 'original') {
      let percentile: number | null = task === 'inpainting' ? INPAINTING_PERCENTILE : TEXT_TO_IMAGE_PERCENTILE;
      let eta = 1;
      try {
        const config = (await this.folder.readJson(this.folder.componentPath('scheduler', 'sampler_config.json'))) as Partial<
          Record<SamplerTask, { threshold_percentile?: number | null; eta?: number }>
        >;
        const section = config[task];
        if (section?.threshold_percentile !== undefined) percentile = section.threshold_percentile;
        if (section?.eta !== undefined) eta = section.eta;
      } catch (error) {
        // sampler_config.json is optional: the spec's defaults apply (spec §4.2).
        if (!(KandinskyError.isInstance(error) && error.code === 'MODEL_NOT_FOUND')) throw error;
      }
      return new Kandinsky3Sampler({ percentile, eta });
    }
    const config = await this.folder.readJson(this.folder.componentPath('scheduler', 'scheduler_config.json'));
    const record = config as Record<string, unknown>;
    return createScheduler(choice === undefined ? { ...record, ...overrides } : swapSchedulerClass(record, choice, overrides));
  }

  #nullEmbedding(call: GenerationCall, role: string): Promise<Float32Array> {
    let embedding = this.#nullEmbeddings.get(role);
    if (!embedding) {
      embedding = (async () => {
        const config = await this.folder.config(role, call.signal);
        const file = typeof config.null_embedding === 'string' ? config.null_embedding : 'null_embedding.bin';
        const bytes = await this.folder.files.readBytes(this.folder.componentPath(role, file), call.signal);
        if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) {
          throw kandinskyError(
            'INVALID_MODEL_MANIFEST',
            `${role}/${file} is ${bytes.byteLength} bytes, not a whole number of float32 values.`,
            'Re-export text_projection with a null_embedding.bin of context_dim float32 values (little-endian).',
            { component: role, file, byteLength: bytes.byteLength },
          );
        }
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
}

/**
 * NON_FINITE_OUTPUT when a denoised latent holds NaN or ±Infinity: MoVQ would decode it to an
 * all-black image that looks like a result. Sessions are released by the caller's `finally`.
 */
function assertFiniteLatent(seed: number, latent: Tensor<'float32'>): Tensor<'float32'> {
  const data = latent.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw kandinskyError(
        'NON_FINITE_OUTPUT',
        `Denoising the image of seed ${seed} produced ${Number.isNaN(data[i]!) ? 'NaN' : 'infinite'} latents (first at index ${i}); it would decode to a black image.`,
        'Use a moderate guidanceScale (3 is the default) and check the model files (e.g. null_embedding.bin) for NaN.',
        { seed, index: i },
      );
    }
  }
  return latent;
}

/** The fields of {@link Kandinsky3ComponentsOptions} that are used before anything can check them. */
export function checkComponentsOptions(options: unknown): asserts options is Kandinsky3ComponentsOptions {
  const hint = 'Pass { backend, folder: await ModelFolder.open(files), tokenizer }, or use loadKandinsky3 of @kandinsky/node or @kandinsky/web.';
  checkObject('options', options, 'an options object { backend, folder, tokenizer }', hint);
  const { backend, folder, tokenizer } = options as Partial<Record<'backend' | 'folder' | 'tokenizer', Record<string, unknown>>>;
  if (typeof backend?.loadModel !== 'function') throw invalidArgument('options.backend', backend, 'a Backend (with loadModel)', hint);
  if (typeof folder?.has !== 'function' || typeof folder.index !== 'object' || folder.index === null) {
    throw invalidArgument('options.folder', folder, 'a ModelFolder (ModelFolder.open(files))', hint);
  }
  if (typeof tokenizer?.encode !== 'function') throw invalidArgument('options.tokenizer', tokenizer, 'a tokenizer with encode(text)', hint);
}
