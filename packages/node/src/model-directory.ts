import { readFile, readdir } from 'node:fs/promises';
import { resolve, sep, dirname, basename } from 'node:path';
import {
  KandinskyError,
  ModelFolder,
  throwIfAborted,
  type AbortSignalLike,
  type ModelFileSource,
  type ModelSource,
} from '@kandinsky/core';

/**
 * A {@link ModelFileSource} over a folder on disk. Every path is resolved inside the folder
 * (a path that would leave it is refused), and a missing file is MODEL_NOT_FOUND naming it.
 */
export function directoryFileSource(directory: string): ModelFileSource {
  const root = resolve(directory);
  const locate = (path: string): string => {
    const full = resolve(root, path);
    if (full !== root && !full.startsWith(root + sep)) {
      throw new KandinskyError({
        code: 'INVALID_MODEL_MANIFEST',
        message: `The path ${JSON.stringify(path)} leaves the model folder ${JSON.stringify(root)}.`,
        hint: 'Model folders only refer to files inside themselves (docs/model-format.md §1.1).',
      });
    }
    return full;
  };
  const read = async (path: string, signal?: AbortSignalLike): Promise<Buffer> => {
    throwIfAborted(signal, `Reading ${path}`);
    const full = locate(path);
    try {
      return await readFile(full);
    } catch (cause) {
      throw new KandinskyError({
        code: 'MODEL_NOT_FOUND',
        message: `The model file ${JSON.stringify(full)} is missing or unreadable.`,
        hint: 'Check the model folder path and re-export the folder if files are missing (docs/model-format.md).',
        details: { path: full },
        cause,
      });
    }
  };
  return {
    location: root,
    readText: async (path, signal) => (await read(path, signal)).toString('utf8'),
    readBytes: async (path, signal) => new Uint8Array(await read(path, signal)),
    modelSource: async (path, signal): Promise<ModelSource> => {
      throwIfAborted(signal, `Locating ${path}`);
      const full = locate(path);
      // onnxruntime-node resolves external data next to the model path by itself; checking
      // the folder here turns a missing model into MODEL_NOT_FOUND with the full path.
      const siblings = await readdir(dirname(full)).catch(() => [] as string[]);
      if (!siblings.includes(basename(full))) {
        throw new KandinskyError({
          code: 'MODEL_NOT_FOUND',
          message: `The model file ${JSON.stringify(full)} is missing.`,
          hint: 'Check the model folder path and re-export the folder if files are missing (docs/model-format.md).',
          details: { path: full },
        });
      }
      return full;
    },
  };
}

/** Opens a model folder on disk (reads and validates its `model_index.json`). */
export function openModelFolder(directory: string, signal?: AbortSignalLike): Promise<ModelFolder> {
  return ModelFolder.open(directoryFileSource(directory), signal);
}
