import { extname, join } from 'node:path';

/** The `--out` file extensions the CLI writes (through @kandinsky/node's writeImage, by extension). */
export const IMAGE_FILE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];

/** Whether `out` names an image file (`.png`, `.jpg`, `.jpeg`, `.webp`, any case) rather than a folder. */
export function isImageFileName(out: string): boolean {
  return IMAGE_FILE_EXTENSIONS.includes(extname(out).toLowerCase());
}

/**
 * Where each image goes. `--out` ending in `.png`, `.jpg`, `.jpeg` or `.webp` names the file (with
 * `-2`, `-3`, … before the extension for further images); anything else is a folder that receives
 * `<prefix>-<seed>.png`.
 */
export function outputPaths(out: string, seeds: readonly number[], prefix: string): string[] {
  if (isImageFileName(out)) {
    const extension = extname(out);
    const stem = out.slice(0, -extension.length);
    return seeds.map((_, i) => (i === 0 ? out : `${stem}-${i + 1}${extension}`));
  }
  return seeds.map((seed) => join(out, `${prefix}-${seed}.png`));
}
