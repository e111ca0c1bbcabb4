import { describeValue } from '../errors/kandinsky-error.js';
import { dtypeMismatch, kandinskyError, shapeMismatch } from '../errors/error-constructors.js';
import { checkArray, checkTensor } from '../errors/argument-checks.js';

/** Element types a core tensor can hold. `float16` is stored as raw IEEE half bits. */
export type DataType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

/** The typed array that backs each {@link DataType}. */
export interface TensorDataMap {
  float32: Float32Array;
  /** Raw IEEE 754 binary16 bit patterns. */
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  /** 0 = false, 1 = true. */
  bool: Uint8Array;
  uint8: Uint8Array;
}

/**
 * A dense, row-major tensor over a typed array. Plain data: backends wrap `data` zero-copy.
 */
export interface Tensor<D extends DataType = DataType> {
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: TensorDataMap[D];
}

const constructors: { [D in DataType]: new (length: number) => TensorDataMap[D] } = {
  float32: Float32Array,
  float16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
  uint8: Uint8Array,
};

/** Number of elements for `dims` (1 for a scalar). Throws on a negative or fractional dim. */
export function elementCount(dims: readonly number[]): number {
  checkArray('dims', dims, 'an array of non-negative integers', 'Pass e.g. [1, 4, 64, 64].');
  let count = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw shapeMismatch(
        `Invalid tensor dimension ${describeValue(dim)} in dims ${describeValue(dims)}.`,
        'Every dimension must be a non-negative integer.',
        { dims },
      );
    }
    count *= dim;
  }
  return count;
}

/**
 * Creates a tensor. Without `data` a zero-filled buffer is allocated; with `data` its length
 * must equal the element count of `dims` (the buffer is used as is, not copied).
 */
export function createTensor<D extends DataType>(
  dtype: D,
  dims: readonly number[],
  data?: TensorDataMap[D],
): Tensor<D> {
  const Constructor = constructors[dtype];
  if (Constructor === undefined) {
    throw kandinskyError(
      'DTYPE_MISMATCH',
      `Unknown tensor dtype ${describeValue(dtype)}.`,
      `Use one of ${Object.keys(constructors).join(', ')}.`,
    );
  }
  const count = elementCount(dims);
  if (data === undefined) return { dtype, dims: [...dims], data: new Constructor(count) };
  if (!(data instanceof Constructor)) {
    throw kandinskyError(
      'DTYPE_MISMATCH',
      `Tensor data for dtype ${describeValue(dtype)} must be a ${Constructor.name}, got ${
        (data as object)?.constructor?.name ?? typeof data
      }.`,
      `Pass a ${Constructor.name} for ${dtype} tensors.`,
    );
  }
  if (data.length !== count) {
    throw shapeMismatch(
      `Tensor data has ${data.length} elements but dims ${describeValue(dims)} need ${count}.`,
      'Make the buffer length equal the product of the dimensions.',
      { dims, length: data.length },
    );
  }
  return { dtype, dims: [...dims], data };
}

/** True when two dims lists are equal. */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  checkArray('a', a, 'an array of dims', 'Pass two dims arrays, e.g. tensor.dims.');
  checkArray('b', b, 'an array of dims', 'Pass two dims arrays, e.g. tensor.dims.');
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws SHAPE_MISMATCH unless `tensor.dims` equals `expected`. `what` names the tensor. */
export function assertDims(what: string, tensor: Tensor, expected: readonly number[]): void {
  checkTensor(String(what), tensor);
  if (!sameDims(tensor.dims, expected)) {
    throw shapeMismatch(
      `${what} has shape ${describeValue(tensor.dims)}, expected ${describeValue(expected)}.`,
      'Check the batch size, channel count and spatial size passed in.',
      { actual: tensor.dims, expected },
    );
  }
}

/** Throws DTYPE_MISMATCH unless `tensor.dtype` is `expected`. Narrows the type. */
export function assertDtype<D extends DataType>(
  what: string,
  tensor: Tensor,
  expected: D,
): asserts tensor is Tensor<D> {
  checkTensor(String(what), tensor);
  if (tensor.dtype !== expected) {
    throw dtypeMismatch(what, tensor.dtype, expected, `Convert ${what} to ${expected} first.`);
  }
}
