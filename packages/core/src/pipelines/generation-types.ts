import type { SchedulerName } from '../schedulers/scheduler-choice.js';
import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import type { ProgressCallback } from '../events/progress-event.js';
import type { RgbImage } from '../image/rgb-image.js';
import type { PromptBeautifier } from './prompt-beautifier.js';
import type { PixelLimits } from './pixel-limits.js';

/** Options every generation call takes (the pixel limits `maxPixels`, `maxJobPixels` included). */
export interface BaseGenerationOptions extends PixelLimits {
  /** What to draw. */
  prompt: string;
  /**
   * Output width in pixels, a multiple of 64 (spec §2.4, §5).
   * @default the model's `default_image_size` (1024 for the real checkpoints, 64 for the tiny ones)
   */
  width?: number;
  /**
   * Output height in pixels, a multiple of 64.
   * @default the model's `default_image_size`
   */
  height?: number;
  /**
   * Round a width/height that is not a multiple of 64 **up** to the next multiple (the diffusers
   * rule, spec §4.2) instead of rejecting it. The result's `parameters` show the size used.
   * @default false
   */
  roundSize?: boolean;
  /**
   * Seed of the first image; image i uses `seed + i`. The initial noise equals PyTorch's
   * `torch.randn(shape, generator=torch.Generator().manual_seed(seed))`.
   * @default a random 32-bit seed (reported in the result)
   */
  seed?: number;
  /**
   * One explicit seed per image; wins over `seed` and `count`.
   * @default undefined
   */
  seeds?: readonly number[];
  /**
   * Number of images.
   * @default 1
   */
  count?: number;
  /**
   * Cancels the call between model runs; it rejects with an `AbortError` (code ABORTED) and the
   * pipeline stays usable.
   * @default undefined
   */
  signal?: AbortSignalLike;
  /**
   * Receives `stage`, `step`, `preview` and `warning` events.
   * @default undefined
   */
  onProgress?: ProgressCallback;
  /**
   * Emit a `preview` event every this many steps, decoded from the current x0 estimate. Previews
   * of the tiny models are cheap; on real checkpoints each costs one MoVQ decode.
   * @default 0 (no previews)
   */
  previewEvery?: number;
}

/** Options of `TextToImagePipeline.generate` (`Kandinsky3.textToImage`). */
export interface TextToImageOptions extends BaseGenerationOptions {
  /**
   * What to steer away from; replaces the unconditional context (spec §4.1).
   * @default undefined (null embedding in convention A, zeros in B)
   */
  negativePrompt?: string;
  /**
   * Denoising steps.
   * @default 50 with the original sampler (convention A), 25 with the folder's diffusers scheduler
   */
  steps?: number;
  /**
   * Kandinsky guidance weight w of `(w+1)·cond − w·uncond` (spec §3.8).
   * @default 3
   */
  guidanceScale?: number;
  /**
   * `original`: the Kandinsky 3.1 sampler with percentile thresholding (spec §3.2);
   * `scheduler`: the folder's diffusers `scheduler/scheduler_config.json` (spec §3.3).
   * @default 'original' for convention A folders, 'scheduler' for B
   */
  sampler?: 'original' | 'scheduler';
  /**
   * Expand the prompt with an LLM before drawing it (spec §4.9), e.g. `new Beautifier({ llm })`
   * from `@kandinsky/beautifier`. The prompt drawn is `result.parameters.prompt`; the user's is
   * `parameters.userPrompt`. On LLM failure the user's prompt is drawn and a BEAUTIFY_FALLBACK
   * warning is emitted.
   * @default undefined (the prompt is drawn as given)
   */
  beautify?: PromptBeautifier;
  /**
   * Another scheduler, built from the folder's `scheduler_config.json` with the class swapped as
   * diffusers' `from_config` does: a diffusers class name (`UniPCMultistepScheduler`) or a known
   * name (`ddpm`, `ddim`, `euler`, `euler-a`, `dpm++2m`, `dpm++2m-karras`, `unipc`, `heun`, `lcm`;
   * `kandinsky` is the original sampler). Wins over `sampler`.
   * @default undefined (`sampler` decides)
   */
  scheduler?: SchedulerName;
  /**
   * Config values that replace the folder's scheduler config, like the keyword arguments of
   * diffusers' `from_config(config, **kwargs)`: e.g. `{ timestep_spacing: 'leading' }` keeps the
   * Kandinsky 3 cosine schedule's first step off t = 999 for σ-space schedulers.
   * @default undefined
   */
  schedulerConfig?: Readonly<Record<string, unknown>>;
}

/** Options of `FlashPipeline.generate` (`Kandinsky3.flash`; spec §4.3). */
export interface FlashOptions extends BaseGenerationOptions {
  /** Accepted for API symmetry but **not used** by Flash; a warning event says so. @default undefined */
  negativePrompt?: string;
  /** Accepted but **not used** by Flash (no CFG); a warning event says so. @default undefined */
  guidanceScale?: number;
  /**
   * `flash`: Flash's own sampler, always its 4 distilled timesteps (spec §3.5); `lcm` (or
   * `LCMScheduler`): diffusers' LCM scheduler, built from the folder's `scheduler_config.json`,
   * with `steps` of the caller's choosing. Other schedulers are refused: they need the guided base
   * UNet (`textToImage`).
   * @default 'flash'
   */
  scheduler?: 'flash' | 'lcm' | 'LCMScheduler';
  /**
   * Denoising steps with `scheduler: 'lcm'`; the Flash sampler ignores it with a warning.
   * @default 4
   */
  steps?: number;
  /**
   * LCM config values over the folder's scheduler config (diffusers' `from_config` kwargs),
   * e.g. `{ original_inference_steps: 100 }`; only with `scheduler: 'lcm'`.
   * @default undefined
   */
  schedulerConfig?: Readonly<Record<string, unknown>>;
  /**
   * Expand the prompt with an LLM before drawing it (spec §4.9), e.g. `new Beautifier({ llm })`
   * from `@kandinsky/beautifier`. The prompt drawn is `result.parameters.prompt`; the user's is
   * `parameters.userPrompt`. On LLM failure the user's prompt is drawn and a BEAUTIFY_FALLBACK
   * warning is emitted.
   * @default undefined (the prompt is drawn as given)
   */
  beautify?: PromptBeautifier;
}

/** Options of `ImageToImagePipeline.generate` (`Kandinsky3.imageToImage`; spec §4.4). */
export interface ImageToImageOptions extends Omit<TextToImageOptions, 'beautify'> {
  /** The starting image (resized to width × height with Pillow's bicubic filter when needed). */
  image: RgbImage;
  /**
   * How much to change the image: 0 returns it re-encoded, 1 ignores it.
   * @default 0.3
   */
  strength?: number;
}

/** The parameters a call actually used (defaults resolved), for metadata and reproduction. */
export interface GenerationParameters {
  readonly mode: 'text-to-image' | 'flash' | 'image-to-image' | 'inpainting' | 'ip-adapter' | 'controlnet';
  /** The prompt drawn: the user's, or its beautified form. */
  readonly prompt: string;
  /** The user's prompt, present only when the call asked for beautification (spec §4.9). */
  readonly userPrompt?: string;
  /** Where `prompt` came from when beautification was asked for: the LLM, or the fallback to `userPrompt`. */
  readonly promptSource?: 'llm' | 'fallback';
  readonly negativePrompt: string | undefined;
  readonly width: number;
  readonly height: number;
  /**
   * Inference steps per image, as requested (for image → image, those the strength leaves). The
   * UNet may run more often: Heun makes two calls per step but the last (2N − 1); see `timesteps`.
   */
  readonly steps: number;
  /** Undefined for Flash (no guidance). */
  readonly guidanceScale: number | undefined;
  readonly strength: number | undefined;
  readonly sampler: string;
  readonly convention: string;
  readonly model: string;
  readonly seeds: readonly number[];
  /** The timesteps the UNet ran at, in order. */
  readonly timesteps: readonly number[];
}

/** What a generation call returns. */
export interface GenerationResult {
  /** One image per seed. */
  readonly images: RgbImage[];
  /** The seed of each image. */
  readonly seeds: number[];
  /** Milliseconds per stage (`load-model`, `encode-prompt`, `encode-image`, `denoise`, `decode`), summed over images. */
  readonly timings: Readonly<Record<string, number>>;
  readonly parameters: GenerationParameters;
}
