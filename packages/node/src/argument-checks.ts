import { invalidArgument } from '@kandinsky/core';

/**
 * INVALID_ARGUMENT unless `value` is an options object or undefined: `loadKandinsky3(dir, null)`
 * would otherwise fail with a TypeError deep inside (every throw of the SDK is a KandinskyError).
 */
export function assertOptionsObject(name: string, value: unknown): void {
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw invalidArgument(name, value, 'an options object or undefined', 'Pass e.g. { device: "cpu" }, or leave it out.');
  }
}

/** INVALID_ARGUMENT unless `value` is a non-empty path string. */
export function assertDirectory(value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArgument('directory', value, 'the path of a model folder', 'Pass a folder in the format of docs/model-format.md, e.g. tinyModelPath("kandinsky3-tiny").');
  }
}
