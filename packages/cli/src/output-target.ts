import { constants, existsSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { isImageFileName, outputPaths } from './output-paths.js';
import { usageError } from './usage-error.js';

/** Extensions of image files the CLI does not write: such an `--out` would otherwise become a folder. */
const OTHER_IMAGE_EXTENSIONS = new Set(['.avif', '.gif', '.tif', '.tiff', '.bmp', '.heic', '.jxl']);

async function statOf(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Checks `--out` before any model loads, so that a path problem costs nothing: an image name of a
 * format the CLI does not write, a folder where an image file should go, a file where a folder should go, a file in the way
 * of a folder to create, or a location that is not writable (usage errors, exit 2). Whether each
 * final file already exists is not checked here: folder names depend on the seeds.
 */
export async function checkOutputTarget(out: string): Promise<void> {
  const path = resolve(out);
  const extension = extname(path).toLowerCase();
  const what = JSON.stringify(out);
  if (OTHER_IMAGE_EXTENSIONS.has(extension)) {
    throw usageError(`--out ${what} names a ${extension} file, but the CLI writes .png, .jpg and .webp files only.`, `Use one of those, e.g. --out ${JSON.stringify(out.slice(0, -extension.length) + '.png')}, or a folder.`, { out });
  }
  const isFile = isImageFileName(path);
  const existing = await statOf(path);
  if (isFile && existing?.isDirectory()) {
    throw usageError(`--out ${what} is an existing folder, not a ${extension} file.`, 'Give another file name, or pass the folder itself to write into it.', { out });
  }
  if (!isFile && existing && !existing.isDirectory()) {
    throw usageError(`--out ${what} is an existing file, not a folder.`, 'Pass a folder, or a file name ending in .png, .jpg or .webp.', { out });
  }
  // The nearest folder that exists must be a writable folder: the rest is created.
  let folder = isFile ? dirname(path) : path;
  let found = await statOf(folder);
  while (!found && dirname(folder) !== folder) {
    folder = dirname(folder);
    found = await statOf(folder);
  }
  if (found && !found.isDirectory()) {
    throw usageError(`--out ${what} cannot be created: ${JSON.stringify(folder)} is a file.`, 'Choose a path whose folders are folders.', { out, blocking: folder });
  }
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw usageError(`--out ${what} cannot be written: the folder ${JSON.stringify(folder)} is not writable.`, 'Choose a folder you can write to.', { out, folder });
  }
}

/** The file-name prefix of each command's images in a folder (see outputPaths). */
const PREFIXES: Record<string, string> = { generate: 'kandinsky', img2img: 'kandinsky', inpaint: 'kandinsky', variation: 'variation', controlnet: 'controlnet' };

/**
 * Refuses, before any model loads, to overwrite files that exist: the image file `--out` names
 * (and its `-2`, `-3`, … siblings), or in a folder the `PREFIX-SEED.png` files of the seeds
 * `--seed`/`--count` give. Random seeds make names that cannot be known in advance (a clash is a
 * 1 in 2³² chance) and are not checked. `--force` allows overwriting. Malformed --seed/--count are
 * left to the command's own checks.
 */
export function checkNoOverwrite(
  command: string,
  values: { out?: string | true; seed?: string | true; count?: string | true; force?: string | true },
): void {
  if (values.force === true) return;
  const out = resolve(typeof values.out === 'string' ? values.out : '.');
  const count = typeof values.count === 'string' ? Number(values.count) : 1;
  if (!Number.isSafeInteger(count) || count < 1 || count > 64) return;
  const isFile = isImageFileName(out);
  const seed = typeof values.seed === 'string' && /^\d+$/.test(values.seed) ? Number(values.seed) : undefined;
  if (!isFile && (seed === undefined || !Number.isSafeInteger(seed + count))) return;
  const files = outputPaths(out, Array.from({ length: count }, (_, i) => (seed ?? 0) + i), PREFIXES[command] ?? 'kandinsky');
  const taken = files.filter((file) => existsSync(file));
  if (taken.length > 0) {
    throw usageError(
      `--out would overwrite ${taken.length === 1 ? 'an existing file' : `${taken.length} existing files`}: ${taken.slice(0, 3).map((file) => JSON.stringify(file)).join(', ')}${taken.length > 3 ? ', …' : ''}.`,
      'Pass --force to overwrite, or choose another --out or --seed.',
      { files: taken },
    );
  }
}
