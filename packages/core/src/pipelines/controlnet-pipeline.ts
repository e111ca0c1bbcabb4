import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { cannyEdges, resolveCannyThresholds, type CannyOptions } from '../image/canny-edges.js';
import { imagesToTensor } from '../image/image-tensor.js';
import { resizeLikePillow } from '../image/pillow-resize.js';
import { assertRgbImage, createRgbImage, type RgbImage } from '../image/rgb-image.js';
import { CONTROLLED_UNET_CONTRACT, CONTROLNET_UNET_CONTRACT, CONTROLNET_V2_CONTRACT } from '../model/component-contracts.js';
import { assertStrength, strengthTimesteps } from '../schedulers/strength.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import type { ModelSession } from '../backend/model-session.js';
import { WarningCodes } from '../events/warning-codes.js';
import { GenerationCall } from './generation-call.js';
import { resolveImageOptions } from './generation-options.js';
import type { BaseGenerationOptions, GenerationParameters, GenerationResult } from './generation-types.js';
import { unetPrediction } from './guided-denoising.js';
import { detectHedEdges, HED_DETECT_RESOLUTION } from './hed-edge-detector.js';
import { createK3dComponents, prepareK3dDenoising } from './k3d-denoising.js';
import { LATENT_CHANNELS, LATENT_SCALE, type Kandinsky3Components, type Kandinsky3ComponentsOptions } from './kandinsky3-components.js';
import { UnetFeeds } from './unet-feeds.js';

/** Reference defaults of `KandinskyV3ControlnetPipeline` (spec §4.7). */
export const CONTROLNET_DEFAULT_STEPS = 100;
export const CONTROLNET_DEFAULT_GUIDANCE = 7;

/** How the hint is made from a control image. */
export type EdgeDetector = 'hed' | 'canny';

/** Options of {@link ControlNetPipeline.generate} (spec §4.7). */
export interface ControlNetOptions extends BaseGenerationOptions {
  /**
   * The control image: its edges (by `edges`) become the hint. With `strength` it is also the
   * start image (ControlNet + image → image). Give `image` or `hint`.
   * @default undefined
   */
  image?: RgbImage;
  /**
   * A ready edge map (white edges on black, the `hint` a previous call returned), used as is.
   * It must have the output size.
   * @default undefined
   */
  hint?: RgbImage;
  /**
   * `'hed'`: the folder's `hed` edge detector with the reference post-processing (spec §2.9);
   * `'canny'`: OpenCV-exact Canny in TypeScript (controlnet_aux `CannyDetector`), its lines at 255
   * over the background level of the folder's own edge maps (see {@link ControlNetPipeline}).
   * @default 'hed'
   */
  edges?: EdgeDetector;
  /**
   * Canny thresholds, for `edges: 'canny'`.
   * @default { lowThreshold: 100, highThreshold: 200 }
   */
  canny?: CannyOptions;
  /**
   * The unconditional text; the K3D ControlNet pipeline encodes `""` when none is given (spec §4.1 C).
   * @default ''
   */
  negativePrompt?: string;
  /**
   * DDPM steps (the folder's scheduler, spec §3.3).
   * @default 100
   */
  steps?: number;
  /**
   * Kandinsky guidance weight w; w ≤ 1 skips CFG like the reference.
   * @default 7
   */
  guidanceScale?: number;
  /**
   * ControlNet + image → image (spec §4.7, §4.4): start from `image`'s latent noised to the
   * timestep this strength picks. 1 ignores the image's colours; undefined starts from noise.
   * @default undefined (text → image with the hint)
   */
  strength?: number;
  /**
   * ControlNet v2 (a folder with a separate `controlnet`): factor `k` of the residuals added to the
   * UNet skips (spec §4.7 v2). Ignored, with a warning, by a v1 folder.
   * @default 1
   */
  controlScale?: number;
  /**
   * ControlNet v2: first step (as a fraction of the steps run) where the residuals apply; step i
   * uses them when ⌊N·controlStart⌋ ≤ i ≤ ⌊N·controlEnd⌋ (spec §4.7 v2).
   * @default 0
   */
  controlStart?: number;
  /**
   * ControlNet v2: last step (as a fraction) where the residuals apply.
   * @default 1
   */
  controlEnd?: number;
}

/** What a ControlNet call used, beyond the common parameters. */
export interface ControlNetParameters extends GenerationParameters {
  /** How the hint was made: `'hed'`, `'canny'`, or `'hint'` when one was given. */
  readonly edges: EdgeDetector | 'hint';
  /** ControlNet v2 only: the residual scale and its step window. */
  readonly control: { readonly scale: number; readonly start: number; readonly end: number } | undefined;
}

/** The result of a ControlNet call: the images and the hint they followed. */
export interface ControlNetResult extends GenerationResult {
  /** The edge map fed to the UNet (output size, white edges on black). */
  readonly hint: RgbImage;
  readonly parameters: ControlNetParameters;
}

/**
 * Kandinsky 3 ControlNet (spec §2.8, §4.7) over any backend: the control image's edge map, as a
 * `[0, 1]` hint at the output size, steers every UNet step. v1 (HED, `unet` variant
 * `controlnet_hed`): the hint is a UNet input. v2 (`unet` variant `controlnet_v2` and a separate
 * `controlnet`): per step the ControlNet turns sample, prompt and hint into three residuals that
 * are scaled by `controlScale` inside the `controlStart`…`controlEnd` window (zeros outside) and
 * fed to the UNet, which adds them to its skips.
 *
 * A Canny hint is drawn in the value range the ControlNet was trained on: lines at 255 over the
 * level the folder's `hed` detector gives a flat image (≈ 0 for a trained HED, 25 for the tiny
 * folder's Sobel graph), or over 0 when the folder has no detector. On the tiny model, Canny lines
 * over 0 are out of that range (outline IoU within 1 px 0.06, chance 0.09, noisy backgrounds);
 * over the detector's level the output follows them (0.13 strict, 0.40 within 1 px).
 * ```ts
 * const controlnet = await ControlNetPipeline.create({ backend, folder, tokenizer });
 * const { images, hint } = await controlnet.generate({ image, prompt: 'a green square', seed: 1 });
 * ```
 */
export class ControlNetPipeline {
  readonly components: Kandinsky3Components;
  #cannyBackground: Promise<number> | undefined;

  constructor(components: Kandinsky3Components) {
    this.components = components;
  }

  /**
   * Checks that the folder is a ControlNet folder (convention C, `unet` variant `controlnet_hed`,
   * or `controlnet_v2` with a `controlnet`); throws INVALID_MODEL_MANIFEST otherwise. Nothing
   * loads yet.
   */
  static async create(options: Kandinsky3ComponentsOptions): Promise<ControlNetPipeline> {
    return new ControlNetPipeline(
      await createK3dComponents(options, {
        task: 'ControlNet',
        variants: { controlnet_hed: [], controlnet_v2: ['controlnet'] },
        example: 'models/tiny/kandinsky3-tiny-controlnet-hed',
      }),
    );
  }

  /** Generation that follows the control image; concurrency as Kandinsky3Components.track says. */
  generate(options: ControlNetOptions): Promise<ControlNetResult> {
    return this.components.track(() => this.#generate(options));
  }

  async #generate(options: ControlNetOptions): Promise<ControlNetResult> {
    const components = this.components;
    const call = new GenerationCall(options);
    const { image, hint: givenHint } = options;
    if ((image === undefined) === (givenHint === undefined)) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        image === undefined ? 'Neither image nor hint was given.' : 'Both image and hint were given.',
        'Pass the control image as `image` (its edges become the hint) or a ready edge map as `hint`.',
      );
    }
    const source = (image ?? givenHint)!;
    assertRgbImage(source, image ? 'control image' : 'hint');
    const { width, height, seeds, previewEvery } = resolveImageOptions(
      { ...options, width: options.width ?? source.width, height: options.height ?? source.height },
      components.defaultImageSize,
    );
    if (givenHint && (givenHint.width !== width || givenHint.height !== height)) {
      throw kandinskyError(
        'SHAPE_MISMATCH',
        `The hint is ${givenHint.width}×${givenHint.height} but the output is ${width}×${height}.`,
        'Pass a hint of the output size (the `hint` of an earlier result), or leave width and height unset.',
        { hint: [givenHint.width, givenHint.height], output: [width, height] },
      );
    }
    const edges = options.edges ?? 'hed';
    if (edges !== 'hed' && edges !== 'canny') {
      throw kandinskyError('INVALID_ARGUMENT', `edges ${describeValue(edges)} is not "hed" or "canny".`, 'Use "hed" (the model) or "canny" (no model).', {
        edges,
      });
    }
    if (options.strength !== undefined) {
      assertStrength(options.strength);
      if (!image) {
        throw kandinskyError('INVALID_ARGUMENT', 'strength was given without an image to start from.', 'Pass `image` with `strength`, or drop `strength`.');
      }
    }
    if (edges === 'canny') resolveCannyThresholds(options.canny);
    if (edges === 'hed' && image && !components.folder.has('hed')) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `The model ${JSON.stringify(components.folder.index.variant.name)} has no hed edge detector.`,
        'Use edges: "canny" (no model), or pass a ready edge map as `hint`.',
      );
    }
    const control = resolveControl(options);
    const steps = options.steps ?? CONTROLNET_DEFAULT_STEPS;
    const v2 = (await components.folder.config('unet', call.signal)).variant === 'controlnet_v2';
    const setup = await prepareK3dDenoising(components, call, {
      variant: 'controlnet',
      prompt: options.prompt,
      negativePrompt: options.negativePrompt,
      steps,
      guidanceScale: options.guidanceScale ?? CONTROLNET_DEFAULT_GUIDANCE,
    });
    const { scheduler } = setup;
    const hint = givenHint ?? (await this.#detect(call, image!, edges, width, height, options.canny));
    const start = options.strength === undefined ? undefined : strengthTimesteps(scheduler, options.strength);
    const encoded = start ? await components.encodeImage(call, image!, width, height) : undefined;
    // The hint is fed with the whole CFG batch (spec §4.7: broadcast over it).
    const count = setup.contexts.length;
    const unit = imagesToTensor(hint, { range: 'zero-to-one' });
    const hintBatch = createTensor('float32', [count, 3, height, width]);
    for (let i = 0; i < count; i++) hintBatch.data.set(unit.data, i * unit.data.length);
    if (!v2 && control.given.length > 0) {
      call.warn(WarningCodes.OPTION_IGNORED, `${control.given.join(', ')} apply to ControlNet v2 folders only; this folder is v1 (the hint is a UNet input).`);
    }
    const steered = start ? start.timesteps.length : scheduler.timesteps.length;
    const controlnet = v2 ? await components.session(call, 'controlnet', CONTROLNET_V2_CONTRACT) : undefined;
    const unet = await components.session(call, 'unet', v2 ? CONTROLLED_UNET_CONTRACT : CONTROLNET_UNET_CONTRACT);
    const feeds = new UnetFeeds(
      setup.contexts,
      controlnet
        ? { perStep: controlResiduals(controlnet, new UnetFeeds(setup.contexts, { inputs: { hint: hintBatch } }), control, steered, call) }
        : { inputs: { hint: hintBatch } },
    );
    const dims = [1, LATENT_CHANNELS, height / LATENT_SCALE, width / LATENT_SCALE];
    const images = await components.generateImages(call, {
      seeds,
      unet: 'unet',
      previewEvery,
      rounding: 'round',
      start: (generator) => {
        const noise = generator.randn(dims);
        if (!start || !encoded) return noise;
        return start.timesteps.length > 0 ? scheduler.addNoise(encoded, noise, start.timesteps[0]!) : encoded;
      },
      denoise: {
        scheduler,
        ...(start ? { startIndex: start.startIndex } : {}),
        guidance: setup.guidance,
        predict: unetPrediction(unet, feeds, call),
      },
    });
    if (controlnet) await components.releaseAfterStage(['controlnet']);
    const timesteps = start ? start.timesteps : scheduler.timesteps;
    return {
      images,
      seeds,
      timings: call.timings,
      hint,
      parameters: {
        ...components.parameters('controlnet', options.prompt, {
          width,
          height,
          seeds,
          steps: start ? start.steps : scheduler.numInferenceSteps,
          guidanceScale: setup.guidanceScale,
          strength: options.strength,
          sampler: scheduler.name,
          timesteps,
          negativePrompt: setup.negativePrompt,
        }),
        edges: givenHint ? 'hint' : edges,
        control: v2 ? { scale: control.scale, start: control.start, end: control.end } : undefined,
      },
    };
  }

  async #detect(
    call: GenerationCall,
    image: RgbImage,
    edges: EdgeDetector,
    width: number,
    height: number,
    canny: CannyOptions | undefined,
  ): Promise<RgbImage> {
    if (edges === 'canny') {
      const background = await this.#cannyBackgroundLevel(call);
      return call.stage('detect-edges', undefined, async () => {
        const sized = image.width === width && image.height === height ? image : resizeLikePillow(image, { width, height, filter: 'bicubic' });
        const lines = cannyEdges(sized, canny);
        for (let i = 0; i < lines.data.length; i++) if (lines.data[i] === 0) lines.data[i] = background;
        return lines;
      });
    }
    return this.#hedEdges(call, image, width, height);
  }

  async #hedEdges(call: GenerationCall, image: RgbImage, width: number, height: number): Promise<RgbImage> {
    const components = this.components;
    const hed = await components.session(call, 'hed');
    const config = await components.folder.config('hed', call.signal);
    const detectResolution = typeof config.detect_resolution === 'number' ? config.detect_resolution : HED_DETECT_RESOLUTION;
    const map = await call.stage('detect-edges', 'hed', () => detectHedEdges(hed, image, { width, height, detectResolution, signal: call.signal }));
    await components.releaseAfterStage(['hed']);
    return map;
  }

  /** What the folder's detector outputs on a flat image (0 without one); measured once. */
  #cannyBackgroundLevel(call: GenerationCall): Promise<number> {
    if (!this.components.folder.has('hed')) return Promise.resolve(0);
    if (!this.#cannyBackground) {
      const flat = createRgbImage(64, 64, new Uint8Array(64 * 64 * 3).fill(128));
      this.#cannyBackground = this.#hedEdges(call, flat, 64, 64).then((map) => map.data[3 * (32 * 64 + 32)]!);
      this.#cannyBackground.catch(() => (this.#cannyBackground = undefined));
    }
    return this.#cannyBackground;
  }
}

/** `controlScale`, `controlStart`, `controlEnd` checked (spec §4.7 v2 defaults 1, 0, 1). */
function resolveControl(options: ControlNetOptions): { scale: number; start: number; end: number; given: string[] } {
  const given = (['controlScale', 'controlStart', 'controlEnd'] as const).filter((name) => options[name] !== undefined);
  const scale = options.controlScale ?? 1;
  const start = options.controlStart ?? 0;
  const end = options.controlEnd ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
    throw kandinskyError('INVALID_ARGUMENT', `controlScale ${describeValue(scale)} is not a finite number ≥ 0.`, 'Use 1 (the reference) or e.g. 0.5 for a looser hint.', {
      controlScale: scale,
    });
  }
  for (const [name, value] of [
    ['controlStart', start],
    ['controlEnd', end],
  ] as const) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw kandinskyError('INVALID_ARGUMENT', `${name} ${describeValue(value)} is not in [0, 1].`, 'Give the window as fractions of the steps, e.g. controlStart 0, controlEnd 0.5.', {
        [name]: value,
      });
    }
  }
  if (start > end) {
    throw kandinskyError('INVALID_ARGUMENT', `controlStart ${start} is after controlEnd ${end}.`, 'Use controlStart ≤ controlEnd.', { controlStart: start, controlEnd: end });
  }
  return { scale, start, end, given };
}

const RESIDUALS = ['down_res_0', 'down_res_1', 'down_res_2'] as const;

/**
 * The UNet's per-step residual inputs of ControlNet v2 (spec §4.7 v2, steps 1–3): the ControlNet
 * on the step's CFG batch (the UNet's own sample, prompt and hint feeds), each residual × scale
 * inside the window. Outside it the residuals are zeros (the reference multiplies them by 0); the
 * ControlNet runs there only once, for their shapes, when no earlier step has run it.
 */
function controlResiduals(
  controlnet: ModelSession,
  feeds: UnetFeeds,
  control: { scale: number; start: number; end: number },
  steps: number,
  call: GenerationCall,
): (sample: Tensor<'float32'>, timestep: number, index: number) => Promise<Record<string, Tensor>> {
  const first = Math.floor(steps * control.start);
  const last = Math.floor(steps * control.end);
  let zeros: Record<string, Tensor> | undefined;
  return async (sample, timestep, index) => {
    const inside = index >= first && index <= last && control.scale !== 0;
    if (!inside && zeros) return zeros;
    const outputs = await controlnet.run(await feeds.at(sample, timestep, index), { signal: call.signal });
    const residuals: Record<string, Tensor> = {};
    for (const name of RESIDUALS) {
      const residual = outputs[name] as Tensor<'float32'>;
      const scaled = createTensor('float32', residual.dims);
      if (inside) for (let i = 0; i < scaled.data.length; i++) scaled.data[i] = residual.data[i]! * control.scale;
      residuals[name] = scaled;
    }
    if (!inside) zeros = residuals;
    return residuals;
  };
}
