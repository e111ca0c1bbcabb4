import { createImageMask, type ImageMask } from './image-mask.js';

// ai-forever/Kandinsky-3 kandinsky3/utils.py prepare_mask (spec §4.5): a centre-weighted 5×5
// kernel, divided by 100, applied three times.
const KERNEL = [
  [1, 1, 1, 1, 1],
  [1, 5, 5, 5, 1],
  [1, 5, 44, 5, 1],
  [1, 5, 5, 5, 1],
  [1, 1, 1, 1, 1],
].flat().map((value) => value / 100);
const RADIUS = 2;
const PASSES = 3;

/** SciPy's `mode='reflect'` index (`d c b a | a b c d | d c b a`), for any offset. */
function reflect(index: number, size: number): number {
  const period = 2 * size;
  const folded = ((index % period) + period) % period;
  return folded < size ? folded : period - 1 - folded;
}

function convolve(values: Float64Array, width: number, height: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = -RADIUS; i <= RADIUS; i++) {
        const row = reflect(y + i, height) * width;
        for (let j = -RADIUS; j <= RADIUS; j++) {
          sum += KERNEL[(i + RADIUS) * 5 + j + RADIUS]! * values[row + reflect(x + j, width)]!;
        }
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

/**
 * The reference's optional mask preparation (`prepare_mask`, used in ai-forever's inpainting
 * notebook): three 5×5 convolutions with a centre-weighted kernel (SciPy `ndimage.convolve`,
 * reflected borders, float64), then `> 0`. Every weight is positive, so this grows the repaint
 * region by 6 pixels in every direction (a 13×13 square) and makes the mask binary: the model
 * then sees a margin around the object it repaints.
 */
export function dilateMask(mask: ImageMask): ImageMask {
  const { width, height } = createImageMask(mask.width, mask.height, mask.data);
  let values: Float64Array<ArrayBuffer> = Float64Array.from(mask.data);
  for (let pass = 0; pass < PASSES; pass++) values = convolve(values, width, height);
  const out = new Float32Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = values[i]! > 0 ? 1 : 0;
  return createImageMask(width, height, out);
}
