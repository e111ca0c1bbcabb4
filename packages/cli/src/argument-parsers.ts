import { invalidArgument, PIXEL_MULTIPLE } from '@kandinsky/core';

/**
 * Parses `--size`: `WIDTHxHEIGHT`, or one number for a square, each side a positive multiple of
 * 64 (spec §2.4). Checked here rather than left to the pipeline so that a wrong size fails before
 * the model loads.
 */
export function parseSize(value: string): { width: number; height: number } {
  const match = /^(\d+)(?:[x×](\d+))?$/i.exec(value.trim());
  if (!match) {
    throw invalidArgument('--size', value, 'WIDTHxHEIGHT or one number for a square', 'Write e.g. --size 1024x1024 or --size 64.');
  }
  const width = Number(match[1]);
  const height = Number(match[2] ?? match[1]);
  if (!isSide(width) || !isSide(height)) {
    const suggestion = `${nearestSide(width)}x${nearestSide(height)}`;
    throw invalidArgument(
      '--size',
      value,
      `WIDTHxHEIGHT with both sides multiples of ${PIXEL_MULTIPLE}`,
      `Use e.g. --size ${suggestion} (spec §2.4: the latent is 1/8 of the image and the UNet halves it three times).`,
    );
  }
  return { width, height };
}

function isSide(side: number): boolean {
  return Number.isSafeInteger(side) && side >= PIXEL_MULTIPLE && side % PIXEL_MULTIPLE === 0;
}

/** The multiple of 64 nearest to `side` (at least 64), for the hint. */
function nearestSide(side: number): number {
  return Math.max(PIXEL_MULTIPLE, Math.round(side / PIXEL_MULTIPLE) * PIXEL_MULTIPLE);
}

/** Parses a whole-number option within [minimum, maximum]. */
export function parseInteger(option: string, value: string, minimum: number, maximum: number, hint: string): number {
  const number = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < minimum || number > maximum) {
    throw invalidArgument(option, value, `a whole number from ${minimum} to ${maximum}`, hint);
  }
  return number;
}

/** Parses a finite number option within [minimum, maximum]. */
export function parseNumber(option: string, value: string, minimum: number, maximum: number, hint: string): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number) || number < minimum || number > maximum) {
    const range = maximum === Number.POSITIVE_INFINITY ? `≥ ${minimum}` : `from ${minimum} to ${maximum}`;
    throw invalidArgument(option, value, `a number ${range}`, hint);
  }
  return number;
}
