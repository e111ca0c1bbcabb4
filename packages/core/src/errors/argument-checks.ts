import type { Tensor } from '../tensor/tensor.js';
import { invalidArgument } from './error-constructors.js';

// Entry checks for public functions whose first use of an argument would otherwise be a property
// read or a call (a TypeError on null, undefined or a wrong type): the public-API probe
// (public-api-bad-input.test.ts) requires a typed INVALID_ARGUMENT instead.

/** A non-null object (arrays included: the caller checks the fields it reads). */
export function checkObject(name: string, value: unknown, expected: string, hint: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw invalidArgument(name, value, expected, hint);
}

/** An options object that may be omitted (undefined), never null or a primitive. */
export function checkOptionalObject(name: string, value: unknown, hint = 'Pass an options object or nothing.'): asserts value is Record<string, unknown> | undefined {
  if (value !== undefined) checkObject(name, value, 'an options object or undefined', hint);
}

export function checkFunction(name: string, value: unknown, expected: string, hint: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgument(name, value, expected, hint);
}

export function checkArray(name: string, value: unknown, expected: string, hint: string): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(name, value, expected, hint);
}

/** A tensor's shape: `{ dtype, dims, data }` with a string dtype, an array of dims and a typed array. */
export function checkTensor(name: string, value: unknown): asserts value is Tensor {
  const tensor = value as Partial<Tensor> | null;
  if (
    typeof tensor !== 'object' ||
    tensor === null ||
    typeof tensor.dtype !== 'string' ||
    !Array.isArray(tensor.dims) ||
    !ArrayBuffer.isView(tensor.data)
  ) {
    throw invalidArgument(name, value, 'a tensor { dtype, dims, data }', 'Create tensors with createTensor(dtype, dims, data).');
  }
}

/** An AbortSignal (or one from another realm: `aborted`, `addEventListener`, `removeEventListener`), or undefined. */
export function checkOptionalSignal(name: string, value: unknown): void {
  const signal = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  if (
    value !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof signal.aborted !== 'boolean' ||
      typeof signal.addEventListener !== 'function' ||
      typeof signal.removeEventListener !== 'function')
  ) {
    throw invalidArgument(name, value, 'an AbortSignal', 'Pass controller.signal of an AbortController, or leave it out.');
  }
}

/** A finite number (sizes, scales): NaN, ±Infinity and non-numbers fail. */
export function checkFiniteNumber(name: string, value: unknown, hint: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(name, value, 'a finite number', hint);
}

/** An integer ≥ `minimum`. */
export function checkInteger(name: string, value: unknown, minimum: number, hint: string): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < minimum) throw invalidArgument(name, value, `an integer ≥ ${minimum}`, hint);
}
