import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import type { Tensor } from '../tensor/tensor.js';
import { interpolate } from './interpolate.js';
import { createRgbImage, type RgbImage } from './rgb-image.js';
import { checkArray, checkInteger, checkTensor } from '../errors/argument-checks.js';

/**
 * The HED detector's post-processing (spec §2.9, controlnet_aux `HEDdetector`): each side output
 * `[1, 1, h/2^k, w/2^k]` (logits) resized bilinearly (align_corners false) to `width × height`,
 * the five maps averaged, sigmoid, ×255, clipped and truncated to 8 bits (numpy's `astype(uint8)`),
 * replicated to three channels.
 */
export function hedEdgeMap(sides: readonly Tensor<'float32'>[], width: number, height: number): RgbImage {
  checkArray('sides', sides, 'an array of side-output tensors', 'Pass the side1…side5 outputs of the edge detector.');
  sides.forEach((side, i) => checkTensor(`sides[${i}]`, side));
  checkInteger('width', width, 1, 'Pass the edge map width in pixels.');
  checkInteger('height', height, 1, 'Pass the edge map height in pixels.');
  if (sides.length === 0) {
    throw kandinskyError('INVALID_ARGUMENT', 'hedEdgeMap: no side outputs were given.', 'Pass the side1…side5 outputs of the edge detector.');
  }
  const count = width * height;
  const sum = new Float32Array(count);
  sides.forEach((side, index) => {
    if (side.dims.length !== 4 || side.dims[0] !== 1 || side.dims[1] !== 1) {
      throw kandinskyError(
        'SHAPE_MISMATCH',
        `Edge-detector side output ${index + 1} has shape ${describeValue(side.dims)}, expected [1, 1, h, w].`,
        'Use an edge detector with the HED interface of docs/model-format.md §3.6.',
        { index, dims: side.dims },
      );
    }
    const resized =
      side.dims[2] === height && side.dims[3] === width ? side : interpolate(side, { width, height, mode: 'bilinear' });
    for (let i = 0; i < count; i++) sum[i] = Math.fround(sum[i]! + resized.data[i]!);
  });
  const image = createRgbImage(width, height);
  const inverse = sides.length;
  for (let i = 0; i < count; i++) {
    const mean = Math.fround(sum[i]! / inverse);
    const edge = Math.fround(1 / (1 + Math.exp(-mean)));
    const value = Math.min(255, Math.max(0, Math.trunc(Math.fround(edge * 255))));
    image.data[3 * i] = value;
    image.data[3 * i + 1] = value;
    image.data[3 * i + 2] = value;
  }
  return image;
}
