import { extname, join } from 'node:path';

/**
 * Where each image goes. `--out` ending in `.png` names the file (with `-2`, `-3`, … before the
 * extension for further images); anything else is a folder that receives `kandinsky-<seed>.png`.
 */
export function outputPaths(out: string, seeds: readonly number[], prefix: string): string[] {
  if (extname(out).toLowerCase() === '.png') {
    const stem = out.slice(0, -4);
    return seeds.map((_, i) => (i === 0 ? out : `${stem}-${i + 1}.png`));
  }
  return seeds.map((seed) => join(out, `${prefix}-${seed}.png`));
}
