import type { DataType } from '../tensor/tensor.js';

/**
 * One dimension of a model input or output: a number for a fixed size, a string for a symbolic
 * (dynamic) one such as `"batch"`. Backends report unnamed dynamic dimensions as `"?"`, never -1.
 */
export type Dimension = number | string;

/** The name, element type and shape of one input or output of a loaded model. */
export interface TensorSpec {
  /** The ONNX graph name, e.g. `"sample"`. */
  readonly name: string;
  /**
   * Element type. Types core has no typed array for (`"float64"`, `"string"`, ...) are reported
   * by their ONNX name so that contract checks can name them.
   */
  readonly dtype: DataType | (string & {});
  /** The shape, or `undefined` when the runtime does not report it. */
  readonly dims: readonly Dimension[] | undefined;
}

/** True when `dimension` is dynamic: a symbolic name (or a negative number from a raw runtime). */
export function isDynamicDimension(dimension: Dimension): boolean {
  return typeof dimension === 'string' || dimension < 0;
}

/** `dtype[d0,d1,...]` for messages, e.g. `float32[batch,4,64,64]`; `dtype[?...]` for unknown dims. */
export function formatShape(dtype: string, dims: readonly Dimension[] | undefined): string {
  return dims === undefined ? `${dtype}[?...]` : `${dtype}[${dims.join(',')}]`;
}

/** `name: dtype[dims]` for messages, e.g. `sample: float32[batch,4,64,64]`. */
export function formatTensorSpec(spec: TensorSpec): string {
  return `${spec.name}: ${formatShape(spec.dtype, spec.dims)}`;
}
