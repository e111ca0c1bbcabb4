import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { assertDirectory } from './argument-checks.js';
import {
  ModelFolder,
  kandinskyError,
  throwIfAborted,
  type AbortSignalLike,
  type ModelFileSource,
  type ModelSource,
} from '@kandinsky/core';
import { modelFileNotFound } from './model-file.js';

/**
 * A {@link ModelFileSource} over a folder on disk. Every path is resolved inside the folder
 * (a path that would leave it is refused), and a missing file is MODEL_NOT_FOUND naming it:
 * when read here, or, for `.onnx` files, when `NodeBackend.loadModel` opens the path.
 */
export function directoryFileSource(directory: string): ModelFileSource {
  assertDirectory(directory);
  const root = resolve(directory);
  const locate = (path: string): string => {
    const full = resolve(root, path);
    if (full !== root && !full.startsWith(root + sep)) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `The path ${JSON.stringify(path)} leaves the model folder ${JSON.stringify(root)}.`,
        'Model folders only refer to files inside themselves (docs/model-format.md §1.1).',
        { path, folder: root },
      );
    }
    return full;
  };
  const read = async (path: string, signal?: AbortSignalLike): Promise<Buffer> => {
    throwIfAborted(signal, `Reading ${path}`);
    const full = locate(path);
    try {
      return await readFile(full);
    } catch (cause) {
      throw modelFileNotFound(full, cause);
    }
  };
  return {
    location: root,
    readText: async (path, signal) => (await read(path, signal)).toString('utf8'),
    readBytes: async (path, signal) => new Uint8Array(await read(path, signal)),
    // onnxruntime-node finds external data next to the model path by itself, and the backend
    // checks that the file exists when it loads it.
    modelSource: async (path, signal): Promise<ModelSource> => {
      throwIfAborted(signal, `Locating ${path}`);
      return locate(path);
    },
  };
}

/** Opens a model folder on disk (reads and validates its `model_index.json`). */
export async function openModelFolder(directory: string, signal?: AbortSignalLike): Promise<ModelFolder> {
  assertDirectory(directory);
  return ModelFolder.open(directoryFileSource(directory), signal);
}
