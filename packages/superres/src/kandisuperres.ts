import {
  crop,
  DPMSolverMultistepScheduler,
  imagesToTensor,
  interpolate,
  invalidArgument,
  resizeLikePillow,
  kandinskyError,
  MOVQ_DECODER_CONTRACT,
  MOVQ_ENCODER_CONTRACT,
  pad,
  planViews,
  runStage,
  SUPER_RESOLUTION_UNET_CONTRACT,
  tensorToImages,
  throwIfAborted,
  TorchGenerator,
  UNET_CONTRACT,
  type AbortSignalLike,
  type ComponentContract,
  type Backend,
  type LoadModelOptions,
  type ModelFolder,
  type ModelSession,
  type ProgressCallback,
  type Tensor,
} from '@kandinsky/core';
import { flashDenoise, FLASH_LOW_RES_MULTIPLE } from './flash-loop.js';
import { refineFlashOutput } from './flash-refiner.js';
import { readRefinerContext, REFINER_CONTEXT_ROLE, type RefinerContext } from './refiner-context.js';
import { defaultViewBatchSize, DEFAULT_ACTIVATION_BYTES_PER_PIXEL } from './memory-plan.js';
import { upscaleGeometry, type UpscaleGeometry } from './output-geometry.js';
import { readSuperResolutionConfig, type SuperResolutionModelConfig } from './sr-model-config.js';
import { tiledDenoise, type UnetCallRecord } from './tiled-denoise.js';
import {
  DEFAULT_MAX_OUTPUT_PIXELS,
  type UpscaleOptions,
  type UpscaleParameters,
  type UpscaleResult,
} from './upscale-options.js';
import { checkFolder, checkObject } from './argument-checks.js';

/** Options of {@link KandiSuperRes.create}. */
export interface KandiSuperResOptions {
  /** Where the model runs. */
  backend: Backend;
  /** An opened KandiSuperRes folder (`_class_name` `KandiSuperResPipeline`). */
  folder: ModelFolder;
  /**
   * Release the sessions (the SR UNet, and the refiner's when it ran) after every call instead of
   * keeping them for the next one.
   * @default false
   */
  lowMemory?: boolean;
  /**
   * Options for the model load.
   * @default {}
   */
  loadOptions?: LoadModelOptions;
}

/** A validated upscale request: every option resolved, nothing loaded yet. */
interface UpscalePlan {
  readonly parameters: UpscaleParameters;
  readonly geometry: UpscaleGeometry;
  readonly scheduler: DPMSolverMultistepScheduler;
  readonly views: ReturnType<typeof planViews>;
  /** The input as `[1, 3, h, w]` in [−1, 1] (spec §4.8.1 step 1). */
  readonly lowRes: Tensor<'float32'>;
}

const DEFAULT_STEPS = 5;

/** The components of the Flash latent refiner (spec §4.8.3 step 3), in a KandiSuperRes Flash folder. */
export const REFINER_COMPONENTS: readonly string[] = Object.freeze(['unet_flash', 'movq_encoder', 'movq_decoder', REFINER_CONTEXT_ROLE]);

function checkInteger(name: string, value: unknown, minimum: number, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw invalidArgument(name, value, `an integer ≥ ${minimum}`, hint);
  }
  return value;
}

/**
 * KandiSuperRes diffusion super-resolution (spec §2.10, §4.8.1): pixel-space DPM-Solver++ over
 * the whole output canvas, tiled into MultiDiffusion views (§4.8.2) so that 4K outputs run with
 * 1024² UNet calls. Runs on any core {@link Backend}.
 * ```ts
 * const sr = await KandiSuperRes.create({ backend, folder });
 * const { image } = await sr.upscale({ image: lowRes, seed: 0 });
 * ```
 */
export class KandiSuperRes {
  readonly backend: Backend;
  readonly folder: ModelFolder;
  readonly config: SuperResolutionModelConfig;
  private readonly schedulerConfig: Record<string, unknown>;
  private readonly lowMemory: boolean;
  private readonly loadOptions: LoadModelOptions;
  /** True when the folder has the Flash latent refiner's components (spec §4.8.3 step 3). */
  readonly hasRefiner: boolean;
  private readonly sessions = new Map<string, Promise<ModelSession>>();
  private refinerContext: Promise<RefinerContext> | undefined;

  private constructor(options: KandiSuperResOptions, config: SuperResolutionModelConfig, schedulerConfig: Record<string, unknown>) {
    this.backend = options.backend;
    this.folder = options.folder;
    this.config = config;
    this.schedulerConfig = schedulerConfig;
    this.lowMemory = options.lowMemory ?? false;
    this.loadOptions = options.loadOptions ?? {};
    this.hasRefiner = REFINER_COMPONENTS.every((role) => options.folder.has(role));
  }

  /**
   * Checks that the folder is a KandiSuperRes folder (INVALID_MODEL_MANIFEST otherwise) and reads
   * its configuration; the UNet loads on the first `upscale`.
   */
  static async create(options: KandiSuperResOptions): Promise<KandiSuperRes> {
    const hint = 'Pass { backend, folder }, or use loadKandiSuperRes of @kandinsky/node.';
    checkObject('options', options, 'an options object { backend, folder }', hint);
    if (typeof (options.backend as { loadModel?: unknown } | undefined)?.loadModel !== 'function') {
      throw invalidArgument('options.backend', options.backend, 'a Backend (with loadModel)', hint);
    }
    checkFolder(options.folder);
    const config = await readSuperResolutionConfig(options.folder);
    const schedulerConfig = (await options.folder.readJson(
      options.folder.componentPath('sr_unet', 'scheduler_config.json'),
    )) as Record<string, unknown>;
    // Validates the scheduler configuration now rather than on the first call.
    new DPMSolverMultistepScheduler(schedulerConfig);
    const refinerRoles = REFINER_COMPONENTS.filter((role) => options.folder.has(role));
    if (refinerRoles.length > 0 && (refinerRoles.length < REFINER_COMPONENTS.length || config.flashTimesteps === undefined)) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `The folder ${options.folder.files.location} has ${refinerRoles.join(', ')} but the Flash refiner needs ${REFINER_COMPONENTS.join(', ')} and sr_unet flash_timesteps.`,
        'Export the whole KandiSuperRes Flash folder, or remove the refiner components (spec §4.8.3).',
        { refinerComponents: refinerRoles, flashTimesteps: config.flashTimesteps },
      );
    }
    return new KandiSuperRes(options, config, schedulerConfig);
  }

  /** The scale factors the model supports. */
  get scales(): readonly number[] {
    return this.config.scales;
  }

  /**
   * Upscales `options.image` by `scale` (spec §4.8.1). Every option is checked before the model
   * loads; on error or abort the session is released.
   */
  async upscale(options: UpscaleOptions): Promise<UpscaleResult> {
    return this.run(options);
  }

  /** @internal `upscale` with a hook on every UNet call (reference tests). */
  async run(options: UpscaleOptions, onUnetCall?: (record: UnetCallRecord) => void): Promise<UpscaleResult> {
    if (typeof options === 'object' && options !== null && options.flash === true) return this.runFlash(options);
    const plan = this.plan(options);
    const { signal, onProgress } = options;
    throwIfAborted(signal);
    const { geometry, parameters } = plan;
    let failed = false;
    try {
      const session = await this.loadSession('sr_unet', SUPER_RESOLUTION_UNET_CONTRACT, signal, onProgress);
      const { sample, lowres } = prepareCanvas(plan);
      await runStage(
        onProgress,
        'upscale',
        () =>
          tiledDenoise({
            session,
            scheduler: plan.scheduler,
            sample,
            lowres,
            views: plan.views,
            viewBatchSize: parameters.viewBatchSize,
            signal,
            onProgress,
            onUnetCall,
          }),
        { component: 'sr_unet' },
      );
      return { image: finishImage(sample, geometry), parameters };
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (failed || this.lowMemory) await this.releaseSessions();
    }
  }

  /** The Flash path (spec §4.8.3): SR loop on the whole canvas, then the latent refiner when enabled. */
  private async runFlash(options: UpscaleOptions): Promise<UpscaleResult> {
    const timesteps = this.config.flashTimesteps;
    if (timesteps === undefined) {
      throw invalidArgument('flash', true, 'false for this model', 'The folder declares no flash_timesteps: use a KandiSuperRes Flash folder, or drop flash.');
    }
    for (const name of ['steps', 'window', 'stride', 'viewBatchSize'] as const) {
      if (options[name] !== undefined) {
        throw invalidArgument(name, options[name], 'undefined with flash', `Flash runs ${timesteps.length} fixed steps on the whole image: drop ${name}.`);
      }
    }
    const refine = options.refine ?? this.hasRefiner;
    if (typeof refine !== 'boolean' || (refine && !this.hasRefiner)) {
      throw invalidArgument(
        'refine',
        options.refine,
        this.hasRefiner ? 'a boolean' : 'false or undefined for this folder',
        `The refiner needs ${REFINER_COMPONENTS.join(', ')} in the folder (spec §4.8.3 step 3).`,
      );
    }
    const { image, signal, onProgress } = options;
    imagesToTensor(image); // INVALID_IMAGE for anything but a well-formed RgbImage
    const scale = this.checkScale(options.scale);
    const seed = options.seed ?? 0;
    new TorchGenerator(seed); // INVALID_ARGUMENT for a seed torch would refuse
    const lowWidth = image.width - (image.width % FLASH_LOW_RES_MULTIPLE);
    const lowHeight = image.height - (image.height % FLASH_LOW_RES_MULTIPLE);
    if (lowWidth === 0 || lowHeight === 0) {
      throw kandinskyError(
        'INVALID_IMAGE',
        `Flash super-resolution needs both sides ≥ ${FLASH_LOW_RES_MULTIPLE}, got ${image.width}×${image.height}.`,
        'Upscale a larger image, or use the DPM-Solver++ path (flash: false), which takes any size.',
        { width: image.width, height: image.height },
      );
    }
    const geometry: UpscaleGeometry = {
      targetWidth: image.width * scale,
      targetHeight: image.height * scale,
      width: lowWidth * scale,
      height: lowHeight * scale,
      canvasWidth: lowWidth * scale,
      canvasHeight: lowHeight * scale,
    };
    this.checkOutputSize(options, geometry, image.width, image.height, scale);
    throwIfAborted(signal);
    const side = Math.max(geometry.width, geometry.height);
    const parameters: UpscaleParameters = {
      flash: true,
      refine,
      scale,
      steps: timesteps.length,
      seed,
      window: side,
      stride: side,
      viewBatchSize: 1,
      views: 1,
      inputWidth: image.width,
      inputHeight: image.height,
    };
    let failed = false;
    try {
      const session = await this.loadSession('sr_unet', SUPER_RESOLUTION_UNET_CONTRACT, signal, onProgress);
      // spec §4.8.3 step 1: Pillow's default resize filter (bicubic) down to multiples of 32.
      const low =
        lowWidth === image.width && lowHeight === image.height ? image : resizeLikePillow(image, { width: lowWidth, height: lowHeight });
      const lowres = interpolate(imagesToTensor(low), { width: geometry.width, height: geometry.height, mode: 'bilinear', alignCorners: false });
      const generator = new TorchGenerator(seed);
      let sample = await runStage(
        onProgress,
        'upscale',
        () => flashDenoise({ session, lowres, timesteps, generator, signal, onProgress }),
        { component: 'sr_unet' },
      );
      if (refine) {
        const [encoder, unet, decoder] = [
          await this.loadSession('movq_encoder', MOVQ_ENCODER_CONTRACT, signal, onProgress),
          await this.loadSession('unet_flash', UNET_CONTRACT, signal, onProgress),
          await this.loadSession('movq_decoder', MOVQ_DECODER_CONTRACT, signal, onProgress),
        ];
        this.refinerContext ??= readRefinerContext(this.folder, signal).catch((error: unknown) => {
          this.refinerContext = undefined;
          throw error;
        });
        const context = await this.refinerContext;
        sample = await refineFlashOutput({ encoder, unet, decoder, context }, { image: sample, generator, signal, onProgress });
      }
      return { image: finishImage(sample, geometry), parameters };
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (failed || this.lowMemory) await this.releaseSessions();
    }
  }

  private checkScale(requested: number | undefined): number {
    const scale = requested ?? this.config.scales[0]!;
    if (!this.config.scales.includes(scale)) {
      throw invalidArgument(
        'scale',
        scale,
        `one of ${this.config.scales.join(', ')} (what this model was trained for)`,
        'Use the model folder made for that scale (KandiSuperRes ×4 or ×2).',
      );
    }
    return scale;
  }

  private checkOutputSize(options: UpscaleOptions, geometry: UpscaleGeometry, width: number, height: number, scale: number): void {
    const maxOutputPixels = options.maxOutputPixels ?? DEFAULT_MAX_OUTPUT_PIXELS;
    checkInteger('maxOutputPixels', maxOutputPixels, 1, 'Pass a pixel count, e.g. 8192 * 8192.');
    const canvasPixels = geometry.canvasWidth * geometry.canvasHeight;
    if (canvasPixels > maxOutputPixels) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `Upscaling ${width}×${height} by ${scale} needs a ${geometry.canvasWidth}×${geometry.canvasHeight} canvas (${canvasPixels} pixels), more than maxOutputPixels ${maxOutputPixels}.`,
        'Pass a smaller image, or raise maxOutputPixels if the machine has the memory (see the README formula).',
        { canvasWidth: geometry.canvasWidth, canvasHeight: geometry.canvasHeight, maxOutputPixels },
      );
    }
  }

  /** Releases every session; they load again on the next call. */
  async dispose(): Promise<void> {
    await this.releaseSessions();
  }

  private plan(options: UpscaleOptions): UpscalePlan {
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('options', options, 'an object with an image', 'Call upscale({ image }).');
    }
    const { image } = options;
    const lowRes = imagesToTensor(image); // INVALID_IMAGE for anything but a well-formed RgbImage
    if (options.refine !== undefined) {
      throw invalidArgument('refine', options.refine, 'undefined without flash', 'The latent refiner belongs to the Flash path (spec §4.8.3): pass flash: true, or drop refine.');
    }
    const scale = this.checkScale(options.scale);
    const steps = checkInteger('steps', options.steps ?? DEFAULT_STEPS, 1, 'KandiSuperRes uses 5 steps.');
    const seed = options.seed ?? 0;
    new TorchGenerator(seed); // INVALID_ARGUMENT for a seed torch would refuse
    const multiple = this.config.sizeMultiple;
    const window = options.window ?? this.config.tileWindow;
    if (typeof window !== 'number' || !Number.isInteger(window) || window < multiple || window % multiple !== 0) {
      throw kandinskyError(
        'INVALID_TILE_LAYOUT',
        `window ${String(window)} is not a positive multiple of the model's size multiple ${multiple}.`,
        `Use a window that is a multiple of ${multiple}, e.g. ${this.config.tileWindow}.`,
        { window, sizeMultiple: multiple },
      );
    }
    // A window given without a stride keeps the folder's overlap ratio (800/1024 for the real
    // model) rather than a stride that might exceed the new window.
    const stride =
      options.stride ??
      (options.window === undefined
        ? this.config.tileStride
        : Math.max(1, Math.floor((window * this.config.tileStride) / this.config.tileWindow)));
    const geometry = upscaleGeometry(image.width, image.height, scale, multiple, window);
    this.checkOutputSize(options, geometry, image.width, image.height, scale);
    const canvasPixels = geometry.canvasWidth * geometry.canvasHeight;
    // planViews checks the stride (INVALID_TILE_LAYOUT when larger than the window or not ≥ 1).
    const views = planViews({
      height: geometry.canvasHeight,
      width: geometry.canvasWidth,
      windowHeight: window,
      windowWidth: window,
      strideHeight: stride,
      strideWidth: stride,
    });
    const scheduler = new DPMSolverMultistepScheduler(this.schedulerConfig);
    scheduler.setTimesteps(steps); // INVALID_STEPS beyond the training timesteps
    const viewPixels = views[0]!.height * views[0]!.width;
    const viewBatchSize =
      options.viewBatchSize === undefined
        ? defaultViewBatchSize(this.backend.capabilities.maxMemoryBytes, {
            canvasPixels,
            viewPixels,
            views: views.length,
            activationBytesPerPixel: this.config.activationBytesPerPixel ?? DEFAULT_ACTIVATION_BYTES_PER_PIXEL,
          }, this.backend.device)
        : checkInteger('viewBatchSize', options.viewBatchSize, 1, 'Pass how many views go through the UNet at once, e.g. 1.');
    return {
      geometry,
      scheduler,
      views,
      lowRes,
      parameters: {
        flash: false,
        refine: false,
        scale,
        steps,
        seed,
        window,
        stride,
        viewBatchSize,
        views: views.length,
        inputWidth: image.width,
        inputHeight: image.height,
      },
    };
  }

  private loadSession(
    role: string,
    contract: ComponentContract,
    signal: AbortSignalLike | undefined,
    onProgress: ProgressCallback | undefined,
  ): Promise<ModelSession> {
    let session = this.sessions.get(role);
    if (session === undefined) {
      const loading = runStage(
        onProgress,
        'load-model',
        () => this.folder.loadSession(this.backend, role, contract, { ...this.loadOptions, signal }),
        { component: role },
      );
      session = loading;
      this.sessions.set(role, loading);
      // A failed load is forgotten so that the next call retries.
      loading.catch(() => {
        if (this.sessions.get(role) === loading) this.sessions.delete(role);
      });
    }
    return session;
  }

  private async releaseSessions(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) {
      try {
        await (await session).dispose();
      } catch {
        // A load that failed has nothing to release.
      }
    }
  }
}

/**
 * The canvas noise (drawn once for the whole canvas, spec §4.8.2) and the low-res image in
 * [−1, 1] upsampled bilinearly with align_corners=False (spec §4.8.1 step 3), edge-padded to
 * the canvas when a side had to be padded.
 */
function prepareCanvas(plan: UpscalePlan): { sample: Tensor<'float32'>; lowres: Tensor<'float32'> } {
  const { geometry, parameters } = plan;
  let lowres = interpolate(plan.lowRes, { width: geometry.width, height: geometry.height, mode: 'bilinear', alignCorners: false });
  if (geometry.canvasWidth !== geometry.width || geometry.canvasHeight !== geometry.height) {
    lowres = pad(lowres, {
      right: geometry.canvasWidth - geometry.width,
      bottom: geometry.canvasHeight - geometry.height,
      mode: 'replicate',
    });
  }
  const sample = new TorchGenerator(parameters.seed).randn([1, 3, geometry.canvasHeight, geometry.canvasWidth]);
  return { sample, lowres };
}

/**
 * spec §4.8.1 step 7: clip to [−1, 1], cut the padding, resize with bilinear align_corners=True
 * when an odd input side made the canvas larger than `scale ×` the input, 8-bit by truncation.
 */
function finishImage(sample: Tensor<'float32'>, geometry: UpscaleGeometry): UpscaleResult['image'] {
  let canvas = sample;
  if (geometry.canvasWidth !== geometry.width || geometry.canvasHeight !== geometry.height) {
    canvas = crop(canvas, { left: 0, top: 0, width: geometry.width, height: geometry.height });
  }
  if (geometry.targetWidth !== geometry.width || geometry.targetHeight !== geometry.height) {
    const data = canvas.data;
    for (let index = 0; index < data.length; index++) data[index] = Math.min(1, Math.max(-1, data[index]!));
    canvas = interpolate(canvas, {
      width: geometry.targetWidth,
      height: geometry.targetHeight,
      mode: 'bilinear',
      alignCorners: true,
    });
  }
  return tensorToImages(canvas, { rounding: 'truncate' })[0]!;
}
