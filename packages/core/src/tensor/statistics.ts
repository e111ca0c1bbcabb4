import { describeValue } from '../errors/kandinsky-error.js';
import { shapeMismatch } from '../errors/error-constructors.js';
import type { Tensor } from './tensor.js';
import { requireFloat32 } from './tensor-checks.js';

/** Options of {@link standardDeviation}. */
export interface StandardDeviationOptions {
  /** Divide by n − 1 (Bessel's correction) like `torch.std`; `false` divides by n. @default true */
  unbiased?: boolean;
}

/** Mean of all elements of a float32 tensor, accumulated in float64. Throws on an empty tensor. */
export function mean(tensor: Tensor<'float32'>): number {
  requireFloat32('mean input', tensor);
  requireNonEmpty('mean', tensor, 1);
  const data = tensor.data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]!;
  return sum / data.length;
}

/** Standard deviation of all elements (two-pass, float64). Needs 2+ elements when unbiased. */
export function standardDeviation(tensor: Tensor<'float32'>, options: StandardDeviationOptions = {}): number {
  const unbiased = options.unbiased ?? true;
  requireFloat32('standardDeviation input', tensor);
  requireNonEmpty('standardDeviation', tensor, unbiased ? 2 : 1);
  const average = mean(tensor);
  const data = tensor.data;
  let sumOfSquares = 0;
  for (let i = 0; i < data.length; i++) {
    const deviation = data[i]! - average;
    sumOfSquares += deviation * deviation;
  }
  return Math.sqrt(sumOfSquares / (data.length - (unbiased ? 1 : 0)));
}

/**
 * True when no element is NaN or ±Infinity. Float32 and float16 tensors are scanned; integer
 * and bool tensors are always finite. Use it to detect a diverged model output early (spec §3.9).
 */
export function isAllFinite(tensor: Tensor): boolean {
  if (tensor.dtype === 'float32') {
    const data = tensor.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      // x − x is 0 for finite x and NaN for NaN or ±Infinity.
      if (data[i]! - data[i]! !== 0) return false;
    }
    return true;
  }
  if (tensor.dtype === 'float16') {
    const data = tensor.data as Uint16Array;
    for (let i = 0; i < data.length; i++) if ((data[i]! & 0x7c00) === 0x7c00) return false;
    return true;
  }
  return true;
}

function requireNonEmpty(operation: string, tensor: Tensor, minimum: number): void {
  if (tensor.data.length < minimum) {
    throw shapeMismatch(
      `${operation} needs at least ${minimum} element(s); the tensor has shape ${describeValue(tensor.dims)}.`,
      'Pass a non-empty tensor.',
      { dims: tensor.dims },
    );
  }
}
