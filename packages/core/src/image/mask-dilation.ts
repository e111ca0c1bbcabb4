import { createImageMask, type ImageMask } from './image-mask.js';
import { checkObject } from '../errors/argument-checks.js';

/** How far `prepare_mask` reaches: three passes of a 5×5 kernel, 2 pixels each (spec §4.5). */
export const MASK_DILATION_RADIUS = 6;

/** A 1-D sliding "any value > 0" over `radius` on either side, cut at the ends. */
function spread(values: Uint8Array, width: number, height: number, radius: number, horizontal: boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  const [lines, length] = horizontal ? [height, width] : [width, height];
  const stride = horizontal ? 1 : width;
  for (let line = 0; line < lines; line++) {
    const base = horizontal ? line * width : line;
    // Distance to the last set pixel at or before i; the window [i − r, i + r] holds one iff the
    // nearest set pixel on either side is within r.
    let lastSet = -Infinity;
    const nearestBefore = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      if (values[base + i * stride]) lastSet = i;
      nearestBefore[i] = i - lastSet;
    }
    let nextSet = Infinity;
    for (let i = length - 1; i >= 0; i--) {
      if (values[base + i * stride]) nextSet = i;
      if (nearestBefore[i]! <= radius || nextSet - i <= radius) out[base + i * stride] = 1;
    }
  }
  return out;
}

/**
 * The reference's optional mask preparation (`prepare_mask` in ai-forever/Kandinsky-3
 * kandinsky3/utils.py, used in its inpainting notebook): three 5×5 convolutions with a
 * centre-weighted kernel of positive weights (SciPy `ndimage.convolve`, reflected borders,
 * float64), then `> 0`. For mask values in [0, 1] that is exactly "some value > 0 within 6
 * pixels in x and y" (positive weights cannot cancel, no float32 value underflows in float64 at
 * 0.01³, and reflection only revisits pixels inside the window), computed here as a separable
 * 13×13 max. It grows the repaint region by 6 pixels and makes the mask binary, so the model
 * sees a margin around what it repaints.
 */
export function dilateMask(mask: ImageMask): ImageMask {
  checkObject('mask', mask, 'an ImageMask { width, height, data }', 'Create masks with createImageMask(width, height, data).');
  const { width, height, data } = createImageMask(mask.width, mask.height, mask.data);
  const set = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) set[i] = data[i]! > 0 ? 1 : 0;
  const grown = spread(spread(set, width, height, MASK_DILATION_RADIUS, true), width, height, MASK_DILATION_RADIUS, false);
  return createImageMask(width, height, Float32Array.from(grown));
}
