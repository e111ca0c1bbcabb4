import { invalidArgument } from '@kandinsky/core';

// Entry checks of the public functions: a wrong argument is INVALID_ARGUMENT, never a TypeError
// from deep inside (the public-API probe, public-api-bad-input.test.ts).

export function checkObject(name: string, value: unknown, expected: string, hint: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw invalidArgument(name, value, expected, hint);
}

export function checkString(name: string, value: unknown, hint: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument(name, value, 'a string', hint);
}

/** An array of integer token ids. */
export function checkTokenIds(name: string, value: unknown): asserts value is readonly number[] {
  if (!Array.isArray(value) || !value.every((id) => Number.isInteger(id) && id >= 0)) {
    throw invalidArgument(name, value, 'an array of token ids (integers ≥ 0)', 'Pass ids from tokenizer.encode(text).');
  }
}
