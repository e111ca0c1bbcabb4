import { KandinskyError } from '@kandinsky/core';

function invalid(option: string, value: string, hint: string): KandinskyError {
  return new KandinskyError({
    code: 'INVALID_ARGUMENT',
    message: `Invalid value ${JSON.stringify(value)} for ${option}.`,
    hint,
    details: { option, value },
  });
}

/** Parses `WIDTHxHEIGHT` (or a single number for a square). */
export function parseSize(value: string): { width: number; height: number } {
  const match = /^(\d+)(?:[x×](\d+))?$/i.exec(value.trim());
  if (!match) throw invalid('--size', value, 'Write the size as WIDTHxHEIGHT, e.g. --size 1024x1024 (sides multiple of 64).');
  const width = Number(match[1]);
  const height = Number(match[2] ?? match[1]);
  return { width, height };
}

/** Parses an integer option within [minimum, maximum]. */
export function parseInteger(option: string, value: string, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw invalid(option, value, `${option} takes a whole number.`);
  const number = Number(value);
  if (number < minimum || number > maximum) {
    throw invalid(option, value, `${option} must be between ${minimum} and ${maximum}.`);
  }
  return number;
}

/** Parses a finite number option. */
export function parseNumber(option: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw invalid(option, value, `${option} takes a number, e.g. 3.`);
  return number;
}
