import type { GenerationMetadata, GenerationParameters, ProgressEvent } from '@kandinsky/core';
import type { UpscaleParameters } from '@kandinsky/superres';
import type { WebDevice, WebDeviceProbe } from './probe-device.js';

/** The modes the worker runs, named as the playground's `mode` select values. */
export type WorkerMode = 'text2image' | 'flash' | 'img2img' | 'inpaint' | 'variation' | 'controlnet' | 'upscale';

/** Pixels that cross the worker boundary (the buffer is transferred, not copied). */
export interface TransferredImage {
  readonly width: number;
  readonly height: number;
  /** `width · height · 3` RGB bytes. */
  readonly data: Uint8Array;
}

/** What to open in the worker. */
export interface WorkerLoadRequest {
  /** URL of the model folder (resolved against the worker's location). */
  readonly baseUrl: string;
  /** @default 'auto' */
  readonly device?: WebDevice | 'auto';
  /** @default undefined (see WebBackendOptions.wasmPaths) */
  readonly wasmPaths?: string;
  /** @default see WebBackendOptions.numThreads */
  readonly numThreads?: number;
  /** @default true */
  readonly cache?: boolean;
}

/** One generation call; every numeric option defaults as in the core pipelines. */
export interface WorkerGenerateRequest {
  readonly mode: WorkerMode;
  readonly prompt: string;
  readonly negativePrompt?: string;
  readonly seed?: number;
  readonly steps?: number;
  /**
   * The sampler, by the names of core's `SchedulerName` (`unipc`, `euler-a`, `LCMScheduler`, …):
   * `text2image` and `img2img` take any; `flash` takes `lcm` (LCM on the Flash UNet, `steps` then
   * counts), or `flash` for its own sampler. The other modes refuse it.
   * @default undefined (each pipeline's own sampler)
   */
  readonly scheduler?: string;
  /**
   * Values over the model's scheduler config, like diffusers' `from_config` keyword arguments,
   * e.g. `{ timestep_spacing: 'leading' }`; only with `scheduler`.
   * @default undefined
   */
  readonly schedulerConfig?: Readonly<Record<string, unknown>>;
  readonly guidanceScale?: number;
  readonly width?: number;
  readonly height?: number;
  readonly strength?: number;
  /**
   * URL of a beautifier LM folder (`BeautifierLM`, loaded with `load` like any folder): the
   * prompt is first expanded by that LM (spec §4.9) and the expansion is drawn; the result's
   * `parameters.prompt` and the PNG metadata hold it, `userPrompt` the prompt as typed. Only
   * `text2image` and `flash` take it.
   * @default undefined (the prompt is drawn as typed)
   */
  readonly beautify?: string;
  /**
   * `upscale`: the generation record of the input image (e.g. read from its PNG with
   * `extractGenerationMetadata`); the output's metadata keeps it and adds the upscale, as the CLI does.
   * @default undefined (the metadata records the upscale alone)
   */
  readonly sourceMetadata?: GenerationMetadata;
  /** Start image (img2img, inpaint), guide image (controlnet), source (variation) or the image to upscale (upscale). */
  readonly image?: TransferredImage;
  /** Second image of a mix (variation mode); without it, a variation of `image`. */
  readonly secondImage?: TransferredImage;
  /**
   * Weight of `secondImage` in a mix; `image` gets `1 - mixWeight`.
   * @default 0.5
   */
  readonly mixWeight?: number;
  /**
   * The model folder to run on, as passed to `load`: the variation mode needs an IP-Adapter
   * folder and ControlNet a ControlNet folder, while the others share a base folder.
   * @default the folder loaded last
   */
  readonly baseUrl?: string;
  /** Inpainting mask at the image's size, one byte per pixel: 255 repaint, 0 keep. */
  readonly mask?: Uint8Array;
  /** @default 0 (no previews) */
  readonly previewEvery?: number;
  /**
   * Set by the client on cross-origin isolated pages: a shared flag the worker reads at every
   * progress event. A cancel message alone waits for the worker's event loop, which a run of
   * onnxruntime-web's single-threaded WASM does not return to until it ends.
   * @default undefined
   */
  readonly cancelFlag?: Int32Array;
}

/** What a generation returns to the page. */
export interface WorkerGenerateResult {
  /** The PNG with core's metadata chunks (`metadata`). */
  readonly png: Uint8Array;
  readonly image: TransferredImage;
  /** What the PNG records. */
  readonly metadata: GenerationMetadata;
  /** The generation's parameters; absent for `upscale`. */
  readonly parameters?: GenerationParameters;
  /** The upscale's parameters (`upscale` mode only). */
  readonly upscale?: UpscaleParameters;
  /** The edge map a ControlNet run was guided by. */
  readonly hint?: TransferredImage;
  readonly timings: Readonly<Record<string, number>>;
}

/** A KandinskyError (or other error) as plain data. */
export interface WorkerError {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;
}

export type WorkerRequest =
  | { readonly type: 'load'; readonly id: number; readonly request: WorkerLoadRequest }
  | { readonly type: 'generate'; readonly id: number; readonly request: WorkerGenerateRequest }
  | { readonly type: 'cancel'; readonly id: number }
  | { readonly type: 'clear-cache'; readonly id: number };

export type WorkerResponse =
  | { readonly type: 'loaded'; readonly id: number; readonly device: WebDevice; readonly threads: number; readonly probe: WebDeviceProbe; readonly cached: boolean }
  | { readonly type: 'progress'; readonly id: number; readonly event: ProgressEvent }
  | { readonly type: 'result'; readonly id: number; readonly result: WorkerGenerateResult }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: WorkerError };
