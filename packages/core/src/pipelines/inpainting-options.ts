import type { InpaintingMaskInput } from '../image/inpainting-mask.js';
import type { RgbImage } from '../image/rgb-image.js';
import type { PasteBackOptions } from '../image/paste-back.js';
import type { TextToImageOptions } from './generation-types.js';

/**
 * Options of `InpaintingPipeline.generate` (`Kandinsky3.inpaint`; spec §4.5). The working size
 * comes from the image (≤ ~1 MP, sides floored to multiples of 64), so there is no width/height.
 */
export interface InpaintingOptions extends Omit<TextToImageOptions, 'width' | 'height' | 'roundSize' | 'sampler' | 'guidanceScale' | 'steps' | 'beautify'> {
  /** The image to edit, any size of at least 64×64. */
  image: RgbImage;
  /**
   * What to repaint, at the image's size: 1 / white = repaint, 0 / black = keep (the reference's
   * convention). A mask image, an `ImageMask`, or a `Uint8Array` (0…255) / `Float32Array` (0…1)
   * plane; use `maskFromAlpha` for an image's transparency. A mask that keeps everything (at the
   * working size) is INVALID_ARGUMENT; one that repaints everything is allowed (the prompt alone
   * then decides, through the inpainting UNet).
   */
  mask: InpaintingMaskInput;
  /**
   * Grow the mask by 6 pixels first, as the reference notebook does (`prepare_mask`,
   * see `dilateMask`).
   * @default false
   */
  dilateMask?: boolean;
  /**
   * Composite the kept pixels of `image` onto the result with a feathered edge, at the image's
   * own size (`pasteBack`). The reference returns the decoded image at the working size.
   * @default false
   */
  pasteBack?: boolean | PasteBackOptions;
  /**
   * Denoising steps of the original sampler.
   * @default 50
   */
  steps?: number;
  /**
   * Kandinsky guidance weight w of `(w+1)·cond − w·uncond` (spec §3.8).
   * @default 4 (the inpainting reference's `guidance_weight_text`)
   */
  guidanceScale?: number;
}
