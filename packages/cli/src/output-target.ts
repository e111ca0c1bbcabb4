import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { usageError } from './usage-error.js';

/** Extensions of image files the CLI does not write: `--out x.jpg` used to become a folder `x.jpg/`. */
const OTHER_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.webp', '.avif', '.gif', '.tif', '.tiff', '.bmp']);

async function statOf(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Checks `--out` before any model loads, so that a path problem costs nothing: a non-PNG image
 * name, a folder where a .png file should go, a file where a folder should go, a file in the way
 * of a folder to create, or a location that is not writable (usage errors, exit 2). Whether each
 * final file already exists is not checked here: folder names depend on the seeds.
 */
export async function checkOutputTarget(out: string): Promise<void> {
  const path = resolve(out);
  const extension = extname(path).toLowerCase();
  const what = JSON.stringify(out);
  if (OTHER_IMAGE_EXTENSIONS.has(extension)) {
    throw usageError(`--out ${what} names a ${extension} file, but the CLI writes PNG files only.`, `Use a .png name, e.g. --out ${JSON.stringify(out.slice(0, -extension.length) + '.png')}, or a folder.`, { out });
  }
  const isFile = extension === '.png';
  const existing = await statOf(path);
  if (isFile && existing?.isDirectory()) {
    throw usageError(`--out ${what} is an existing folder, not a .png file.`, 'Give another file name, or pass the folder without a .png name to write into it.', { out });
  }
  if (!isFile && existing && !existing.isDirectory()) {
    throw usageError(`--out ${what} is an existing file, not a folder.`, 'Pass a folder, or a file name ending in .png.', { out });
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
