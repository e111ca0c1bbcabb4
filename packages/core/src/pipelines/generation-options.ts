import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import type { BaseGenerationOptions } from './generation-types.js';
import { checkPixelLimits } from './pixel-limits.js';

/** Image sides must be multiples of this many pixels (spec §2.4: latent /8, UNet /8). */
export const PIXEL_MULTIPLE = 64;

/** The size and seeds of a call, defaults resolved and checked. */
export interface ResolvedImageOptions {
  readonly width: number;
  readonly height: number;
  readonly seeds: number[];
  readonly previewEvery: number;
}

/**
 * Checks the options every generation call shares and resolves their defaults; throws
 * INVALID_ARGUMENT naming the first bad value, or IMAGE_TOO_LARGE above the pixel limits. Nothing
 * is clamped: a side that is not a multiple of 64 is rounded up only with `roundSize`.
 */
export function resolveImageOptions(options: BaseGenerationOptions, defaultSize: number): ResolvedImageOptions {
  if (typeof options.prompt !== 'string') {
    throw invalidArgument('prompt', options.prompt, 'a string', 'Pass the prompt as text.');
  }
  const side = (name: 'width' | 'height'): number => {
    const value = options[name] ?? defaultSize;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw invalidArgument(name, value, 'a positive integer', `Use a multiple of ${PIXEL_MULTIPLE}, e.g. ${defaultSize}.`);
    }
    if (value % PIXEL_MULTIPLE === 0) return value;
    if (options.roundSize) return Math.ceil(value / PIXEL_MULTIPLE) * PIXEL_MULTIPLE;
    const lower = Math.max(PIXEL_MULTIPLE, Math.floor(value / PIXEL_MULTIPLE) * PIXEL_MULTIPLE);
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `${name} ${value} is not a multiple of ${PIXEL_MULTIPLE} (spec §2.4: the latent is 1/8 of the image and the UNet halves it three times).`,
      `Use ${lower} or ${lower + PIXEL_MULTIPLE}, or pass roundSize: true to round up.`,
      { [name]: value },
    );
  };
  const width = side('width');
  const height = side('height');
  let seeds: number[];
  if (options.seeds !== undefined) {
    if (!Array.isArray(options.seeds) || options.seeds.length === 0) {
      throw invalidArgument('seeds', options.seeds, 'a non-empty array', 'Pass one seed per image, e.g. [1, 2, 3].');
    }
    seeds = [...options.seeds];
  } else {
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw invalidArgument('count', count, 'an integer ≥ 1', 'Ask for at least one image.');
    }
    const first = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    // Checked before `first + i`, which throws a plain TypeError for a BigInt.
    if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 0) {
      throw invalidArgument('seed', first, 'a non-negative safe integer (a number, not a BigInt)', 'Use an integer such as 42 (as torch.manual_seed takes).');
    }
    seeds = Array.from({ length: count }, (_, i) => first + i);
  }
  for (const seed of seeds) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw invalidArgument('seed', seed, 'a non-negative safe integer', 'Use an integer such as 42 (as torch.manual_seed takes).');
    }
  }
  const previewEvery = options.previewEvery ?? 0;
  if (!Number.isInteger(previewEvery) || previewEvery < 0) {
    throw invalidArgument('previewEvery', previewEvery, 'an integer ≥ 0', 'Use 0 for no previews or e.g. 5 for a preview every 5 steps.');
  }
  checkPixelLimits(width, height, seeds.length, options);
  return { width, height, seeds, previewEvery };
}

/** Kandinsky's guidance weight w (spec §3.8), checked. */
export function resolveGuidanceScale(value: number | undefined): number {
  const guidanceScale = value ?? 3;
  if (typeof guidanceScale !== 'number' || !Number.isFinite(guidanceScale) || guidanceScale < 0) {
    throw invalidArgument(
      'guidanceScale',
      guidanceScale,
      'a finite number ≥ 0',
      'Kandinsky 3 uses 3 (equivalent to a "standard" CFG scale of 4); 0 disables guidance.',
    );
  }
  return guidanceScale;
}
