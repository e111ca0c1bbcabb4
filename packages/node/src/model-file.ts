import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { kandinskyError, type KandinskyError } from '@kandinsky/core';

/**
 * The MODEL_NOT_FOUND error of `@kandinsky/node`, for any file of a model folder that is missing
 * or cannot be read: one message wherever the file was needed.
 */
export function modelFileNotFound(path: string, cause?: unknown, component?: string): KandinskyError {
  const full = resolve(path);
  return kandinskyError(
    'MODEL_NOT_FOUND',
    `The model file ${JSON.stringify(full)}${component === undefined ? '' : ` (${component})`} is missing or unreadable.`,
    'Check the model folder path, and re-export the folder if files are missing (docs/model-format.md).',
    { path: full, ...(component === undefined ? {} : { component }) },
    cause,
  );
}

/**
 * Rejects with {@link modelFileNotFound} unless `path` is a readable file. The one existence
 * check of a model before onnxruntime-node opens it, whose own error would not name the file.
 */
export async function checkModelFile(path: string, component?: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) throw new Error(`${path} is not a file`);
    await access(path, constants.R_OK);
  } catch (cause) {
    throw modelFileNotFound(path, cause, component);
  }
}
