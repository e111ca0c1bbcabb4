import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { checkObject } from '../errors/argument-checks.js';

/** Options of {@link featheredViewWeights}. */
export interface FeatheredViewWeightsOptions {
  /** View height. */
  height: number;
  /** View width. */
  width: number;
  /** Rows over which the weight ramps up at the top and down at the bottom (usually window − stride). */
  rampHeight: number;
  /** Columns over which the weight ramps at the left and right edges. */
  rampWidth: number;
}

function axisRamp(length: number, ramp: number): Float64Array {
  const weights = new Float64Array(length);
  for (let index = 0; index < length; index++) {
    // (index + 1)/(ramp + 1) keeps the edge weight > 0, so no pixel of a view is ever ignored.
    const fromStart = (index + 1) / (ramp + 1);
    const fromEnd = (length - index) / (ramp + 1);
    weights[index] = Math.min(1, fromStart, fromEnd);
  }
  return weights;
}

/**
 * A separable linear-ramp weight map `[height · width]` for feathered MultiDiffusion blending:
 * weight 1 in the interior, falling linearly to 1/(ramp + 1) at each edge over `ramp` cells.
 * Every weight is > 0. The reference implementations blend uniformly (spec §4.8.2); feathering
 * is an opt-in that hides seams when views disagree. Pass it to `MultiDiffusionBlender.accumulate`.
 */
export function featheredViewWeights(options: FeatheredViewWeightsOptions): Float32Array {
  checkObject('options', options, 'an options object { height, width, rampHeight, rampWidth }', 'Pass the view size and ramp widths.');
  const { height, width, rampHeight, rampWidth } = options;
  for (const [name, value, minimum] of [
    ['height', height, 1],
    ['width', width, 1],
    ['rampHeight', rampHeight, 0],
    ['rampWidth', rampWidth, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < minimum) {
      throw kandinskyError(
        'INVALID_TILE_LAYOUT',
        `Feathered weights: ${name} must be an integer ≥ ${minimum}, got ${describeValue(value)}.`,
        'Use the view size for height/width and the overlap (window − stride) for the ramps.',
        { [name]: value },
      );
    }
  }
  const rows = axisRamp(height, rampHeight);
  const columns = axisRamp(width, rampWidth);
  const weights = new Float32Array(height * width);
  for (let row = 0; row < height; row++) {
    const rowWeight = rows[row]!;
    const offset = row * width;
    for (let column = 0; column < width; column++) weights[offset + column] = rowWeight * columns[column]!;
  }
  return weights;
}
