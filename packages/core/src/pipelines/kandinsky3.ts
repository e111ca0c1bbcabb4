import { FlashPipeline } from './flash-pipeline.js';
import type {
  FlashOptions,
  GenerationResult,
  ImageToImageOptions,
  TextToImageOptions,
} from './generation-types.js';
import { ImageToImagePipeline } from './image-to-image-pipeline.js';
import type { InpaintingOptions } from './inpainting-options.js';
import { InpaintingPipeline } from './inpainting-pipeline.js';
import { Kandinsky3Components, type Kandinsky3ComponentsOptions } from './kandinsky3-components.js';
import { TextToImagePipeline } from './text-to-image-pipeline.js';
import type { PromptConvention } from '../model/model-index.js';

/**
 * One Kandinsky 3 model folder with its task pipelines, sharing one set of lazily loaded sessions:
 * text → image (spec §4.2), image → image (§4.4), Flash (§4.3, when the folder has `unet_flash`) and
 * inpainting (§4.5, when it has `unet_inpainting`).
 * ```ts
 * const kandinsky = await Kandinsky3.create({ backend, folder, tokenizer });
 * const { images, seeds } = await kandinsky.textToImage({ prompt: 'a red circle', seed: 42 });
 * ```
 */
export class Kandinsky3 {
  readonly components: Kandinsky3Components;
  readonly textToImagePipeline: TextToImagePipeline;
  readonly imageToImagePipeline: ImageToImagePipeline;
  readonly flashPipeline: FlashPipeline;
  readonly inpaintingPipeline: InpaintingPipeline;

  private constructor(components: Kandinsky3Components) {
    this.components = components;
    this.textToImagePipeline = new TextToImagePipeline(components);
    this.imageToImagePipeline = new ImageToImagePipeline(components);
    this.flashPipeline = new FlashPipeline(components);
    this.inpaintingPipeline = new InpaintingPipeline(components);
  }

  /** Validates the folder (see {@link Kandinsky3Components.create}); nothing loads yet. */
  static async create(options: Kandinsky3ComponentsOptions): Promise<Kandinsky3> {
    return new Kandinsky3(await Kandinsky3Components.create(options));
  }

  /** The prompt convention of the folder (spec §4.1). */
  get convention(): PromptConvention {
    return this.components.convention;
  }

  /** The model's default image side in pixels. */
  get defaultImageSize(): number {
    return this.components.defaultImageSize;
  }

  textToImage(options: TextToImageOptions): Promise<GenerationResult> {
    return this.components.track(() => this.textToImagePipeline.generate(options));
  }

  imageToImage(options: ImageToImageOptions): Promise<GenerationResult> {
    return this.components.track(() => this.imageToImagePipeline.generate(options));
  }

  flash(options: FlashOptions): Promise<GenerationResult> {
    return this.components.track(() => this.flashPipeline.generate(options));
  }

  /** Repaints the masked region of an image (spec §4.5; needs `unet_inpainting`). */
  inpaint(options: InpaintingOptions): Promise<GenerationResult> {
    return this.components.track(() => this.inpaintingPipeline.generate(options));
  }

  /**
   * Disposes every loaded session; they load again on demand. Calls in flight finish first.
   * With `lowMemory`, concurrent calls run one at a time (see Kandinsky3Components.track).
   */
  dispose(): Promise<void> {
    return this.components.dispose();
  }
}
