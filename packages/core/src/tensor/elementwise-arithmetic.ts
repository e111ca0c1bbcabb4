import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import type { Tensor } from './tensor.js';
import { float32Output, requireFiniteNumber, requireFloat32, requireSameDims } from './tensor-checks.js';

/**
 * Element-wise float32 arithmetic for pipeline and scheduler hot loops. Every function takes an
 * optional `out` tensor (same dims, float32) that may be one of its inputs, so updates can run
 * in place without allocating. Shapes must match exactly: nothing broadcasts silently.
 */

/** One term `coefficient × tensor` of a {@link linearCombination}. */
export type LinearTerm = readonly [coefficient: number, tensor: Tensor<'float32'>];

/**
 * `out = factor × x`.
 * @param out Destination (may be `x`). @default a new tensor
 */
export function scale(x: Tensor<'float32'>, factor: number, out?: Tensor<'float32'>): Tensor<'float32'> {
  requireFloat32('scale input', x);
  requireFiniteNumber('scale factor', factor);
  const target = float32Output('scale', x, out);
  const source = x.data;
  const result = target.data;
  for (let i = 0; i < source.length; i++) result[i] = source[i]! * factor;
  return target;
}

/**
 * `out = a + b`.
 * @param out Destination (may be `a` or `b`). @default a new tensor
 */
export function add(a: Tensor<'float32'>, b: Tensor<'float32'>, out?: Tensor<'float32'>): Tensor<'float32'> {
  checkPair('add', a, b);
  const target = float32Output('add', a, out);
  const left = a.data;
  const right = b.data;
  const result = target.data;
  for (let i = 0; i < left.length; i++) result[i] = left[i]! + right[i]!;
  return target;
}

/**
 * `out = a − b`.
 * @param out Destination (may be `a` or `b`). @default a new tensor
 */
export function sub(a: Tensor<'float32'>, b: Tensor<'float32'>, out?: Tensor<'float32'>): Tensor<'float32'> {
  checkPair('sub', a, b);
  const target = float32Output('sub', a, out);
  const left = a.data;
  const right = b.data;
  const result = target.data;
  for (let i = 0; i < left.length; i++) result[i] = left[i]! - right[i]!;
  return target;
}

/**
 * `out = Σ coefficientᵢ × tensorᵢ` (axpby generalised), evaluated per element in float64 and
 * rounded to float32 once. Example: `linearCombination([[sqrtAlpha, x0], [sqrtOneMinusAlpha, noise]])`.
 * @param out Destination (may be any of the terms' tensors). @default a new tensor
 */
export function linearCombination(terms: readonly LinearTerm[], out?: Tensor<'float32'>): Tensor<'float32'> {
  if (!Array.isArray(terms) || terms.length === 0) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `linearCombination needs at least one [coefficient, tensor] term, got ${describeValue(terms)}.`,
      'Pass an array such as [[a, x], [b, y]].',
    );
  }
  const first = terms[0]![1];
  terms.forEach(([coefficient, tensor], index) => {
    requireFiniteNumber(`linearCombination coefficient ${index}`, coefficient);
    requireFloat32(`linearCombination tensor ${index}`, tensor);
    requireSameDims('linearCombination', first, tensor, `tensor ${index}`);
  });
  const target = float32Output('linearCombination', first, out);
  const result = target.data;
  const length = result.length;
  if (terms.length === 1) {
    const [a, x] = terms[0]!;
    const xs = x.data;
    for (let i = 0; i < length; i++) result[i] = a * xs[i]!;
  } else if (terms.length === 2) {
    const [a, x] = terms[0]!;
    const [b, y] = terms[1]!;
    const xs = x.data;
    const ys = y.data;
    for (let i = 0; i < length; i++) result[i] = a * xs[i]! + b * ys[i]!;
  } else if (terms.length === 3) {
    const [a, x] = terms[0]!;
    const [b, y] = terms[1]!;
    const [c, z] = terms[2]!;
    const xs = x.data;
    const ys = y.data;
    const zs = z.data;
    for (let i = 0; i < length; i++) result[i] = a * xs[i]! + b * ys[i]! + c * zs[i]!;
  } else {
    const coefficients = terms.map(([coefficient]) => coefficient);
    const arrays = terms.map(([, tensor]) => tensor.data);
    const count = terms.length;
    for (let i = 0; i < length; i++) {
      let sum = 0;
      for (let t = 0; t < count; t++) sum += coefficients[t]! * arrays[t]![i]!;
      result[i] = sum;
    }
  }
  return target;
}

function checkPair(operation: string, a: Tensor, b: Tensor): void {
  requireFloat32(`${operation} first operand`, a);
  requireFloat32(`${operation} second operand`, b);
  requireSameDims(operation, a, b);
}
