import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, shapeMismatch } from '../errors/error-constructors.js';
import { assertDtype, createTensor, sameDims, type Tensor } from './tensor.js';

/** Throws DTYPE_MISMATCH unless `tensor` is float32 (and narrows it). */
export function requireFloat32(what: string, tensor: Tensor): asserts tensor is Tensor<'float32'> {
  assertDtype(what, tensor, 'float32');
}

/** Throws SHAPE_MISMATCH unless `a` and `b` have equal dims; the message names both. */
export function requireSameDims(operation: string, a: Tensor, b: Tensor, bName = 'second operand'): void {
  if (!sameDims(a.dims, b.dims)) {
    throw shapeMismatch(
      `${operation}: ${bName} has shape ${describeValue(b.dims)} but the first operand has ${describeValue(a.dims)}.`,
      'Element-wise operations need tensors of identical shape (no broadcasting).',
      { expected: a.dims, actual: b.dims },
    );
  }
}

/** Throws INVALID_ARGUMENT unless `value` is a finite number; names `what` and the value. */
export function requireFiniteNumber(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidArgument(what, value, 'a finite number', `Pass a finite number for ${what}.`);
  }
}

/** Throws INVALID_ARGUMENT unless `value` is an integer ≥ `minimum`. */
export function requireInteger(what: string, value: unknown, minimum: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw invalidArgument(
      what,
      value,
      `an integer ≥ ${minimum}`,
      `Pass an integer of at least ${minimum} for ${what}.`,
    );
  }
}

/**
 * The float32 output of an element-wise op over `like`: `out` when given (checked to be float32
 * with `like`'s dims; it may be one of the inputs), else a new zero tensor.
 */
export function float32Output(operation: string, like: Tensor, out: Tensor | undefined): Tensor<'float32'> {
  if (out === undefined) return createTensor('float32', like.dims);
  requireFloat32(`${operation} output`, out);
  requireSameDims(operation, like, out, 'output');
  return out;
}

/** Throws SHAPE_MISMATCH unless `tensor` has at least `rank` dimensions. */
export function requireRank(what: string, tensor: Tensor, rank: number): void {
  if (tensor.dims.length < rank) {
    throw shapeMismatch(
      `${what} has shape ${describeValue(tensor.dims)}; at least ${rank} dimensions are needed.`,
      rank === 1 ? 'Pass a tensor with a batch dimension.' : 'Pass an NCHW-style tensor [batch, channels, ...].',
      { dims: tensor.dims },
    );
  }
}
