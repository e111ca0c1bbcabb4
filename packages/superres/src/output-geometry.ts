import { checkCount } from './argument-checks.js';

/** Sizes of one upscale job, in pixels. */
export interface UpscaleGeometry {
  /** Size of the returned image: exactly `scale ×` the input. */
  readonly targetWidth: number;
  readonly targetHeight: number;
  /**
   * The diffusion canvas of the reference (spec §4.8.1 step 2): odd input sides are bumped to
   * even before scaling, so it can be larger than the target by `scale` pixels per odd side.
   */
  readonly width: number;
  readonly height: number;
  /**
   * The canvas actually denoised. A side that one view covers whole (side ≤ window) is padded at
   * the right/bottom (edge-replicated conditioning) up to the UNet's size multiple: ×2 sides
   * ≡ 2 mod 4 (spec §4.8.1 size notes: 510 → 1020, not a multiple of 8). Longer sides are tiled
   * by window-sized views and need no padding, so they stay as the reference has them.
   */
  readonly canvasWidth: number;
  readonly canvasHeight: number;
}

/** spec §4.8.1 steps 2 and 7, plus the padding of its size notes. */
export function upscaleGeometry(
  inputWidth: number,
  inputHeight: number,
  scale: number,
  sizeMultiple: number,
  window: number,
): UpscaleGeometry {
  const hint = 'Pass the input size in pixels, the scale (2 or 4), the model size multiple and the tile window.';
  checkCount('inputWidth', inputWidth, 1, hint);
  checkCount('inputHeight', inputHeight, 1, hint);
  checkCount('scale', scale, 1, hint);
  checkCount('sizeMultiple', sizeMultiple, 1, hint);
  checkCount('window', window, 1, hint);
  const padded = (side: number): number =>
    side > window ? side : Math.ceil(side / sizeMultiple) * sizeMultiple;
  const width = (inputWidth + (inputWidth % 2)) * scale;
  const height = (inputHeight + (inputHeight % 2)) * scale;
  return {
    targetWidth: inputWidth * scale,
    targetHeight: inputHeight * scale,
    width,
    height,
    canvasWidth: padded(width),
    canvasHeight: padded(height),
  };
}
