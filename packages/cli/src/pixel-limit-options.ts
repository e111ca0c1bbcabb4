import { DEFAULT_MAX_JOB_PIXELS, DEFAULT_MAX_PIXELS, type PixelLimits } from '@kandinsky/core';
import { parseInteger } from './argument-parsers.js';

/** Help lines of the two limit options (every generating command). */
export const PIXEL_LIMITS_HELP = `  --max-pixels N       most pixels of one image (default ${DEFAULT_MAX_PIXELS} = 1024²); larger sizes are
                       refused before a model loads, with the memory they would need
  --max-job-pixels N   most pixels of the whole run, count × width × height (default ${DEFAULT_MAX_JOB_PIXELS})
`;

/**
 * Parses `--max-pixels` / `--max-job-pixels` into core's `PixelLimits` (the library's `maxPixels`
 * and `maxJobPixels`): whole numbers ≥ 1. A limit left out stays out, so core's default applies.
 */
export function parsePixelLimits(maxPixels: string | undefined, maxJobPixels: string | undefined): PixelLimits {
  const limits: { maxPixels?: number; maxJobPixels?: number } = {};
  if (maxPixels !== undefined) {
    limits.maxPixels = parseInteger('--max-pixels', maxPixels, 1, Number.MAX_SAFE_INTEGER, `Leave it out for ${DEFAULT_MAX_PIXELS} (1024²), or raise it, e.g. --max-pixels ${DEFAULT_MAX_PIXELS * 4} for 2048², if the machine has the memory.`);
  }
  if (maxJobPixels !== undefined) {
    limits.maxJobPixels = parseInteger('--max-job-pixels', maxJobPixels, 1, Number.MAX_SAFE_INTEGER, `Leave it out for ${DEFAULT_MAX_JOB_PIXELS} (16 images of 1024²), or raise it if the machine has the memory.`);
  }
  return limits;
}
