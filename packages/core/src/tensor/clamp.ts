import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import type { Tensor } from './tensor.js';
import { float32Output, requireFloat32 } from './tensor-checks.js';

/**
 * `out = min(max(x, minimum), maximum)` element-wise, like `torch.clamp`: NaN stays NaN.
 * Clamping is always an explicit call in this SDK — no operation clamps values on its own.
 * Bounds may be ±Infinity for a one-sided clamp.
 * @param out Destination (may be `x`). @default a new tensor
 */
export function clamp(
  x: Tensor<'float32'>,
  minimum: number,
  maximum: number,
  out?: Tensor<'float32'>,
): Tensor<'float32'> {
  requireFloat32('clamp input', x);
  if (typeof minimum !== 'number' || typeof maximum !== 'number' || Number.isNaN(minimum) || Number.isNaN(maximum) || minimum > maximum) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `clamp bounds [${describeValue(minimum)}, ${describeValue(maximum)}] are not an interval.`,
      'Pass numeric bounds with minimum ≤ maximum (use ±Infinity for one-sided clamps).',
      { minimum, maximum },
    );
  }
  const target = float32Output('clamp', x, out);
  const source = x.data;
  const result = target.data;
  for (let i = 0; i < source.length; i++) {
    const value = source[i]!;
    // Comparisons are false for NaN, so NaN passes through unchanged.
    result[i] = value < minimum ? minimum : value > maximum ? maximum : value;
  }
  return target;
}
