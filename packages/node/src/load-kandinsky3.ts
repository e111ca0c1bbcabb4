import { Kandinsky3, type Backend, type LoadModelOptions } from '@kandinsky/core';
import { createNodeBackend, type NodeBackendOptions } from './node-backend.js';
import { openModelFolder } from './model-directory.js';
import { loadTokenizer } from './tokenizer.js';
import { assertDirectory, assertOptionsObject } from './argument-checks.js';

/** Options of {@link loadKandinsky3}. */
export interface LoadKandinsky3Options extends NodeBackendOptions {
  /**
   * A backend to reuse (e.g. one shared by several pipelines); when set, the device options are
   * ignored.
   * @default a new NodeBackend from the device options
   */
  backend?: Backend;
  /**
   * Release each stage's sessions after use (see Kandinsky3ComponentsOptions.lowMemory).
   * @default false
   */
  lowMemory?: boolean;
  /**
   * Options for every model load.
   * @default {}
   */
  loadOptions?: LoadModelOptions;
}

/**
 * Opens a Kandinsky 3 model folder from disk, ready to generate (models load on first use):
 * ```ts
 * const kandinsky = await loadKandinsky3('models/tiny/kandinsky3-tiny', { device: 'cpu' });
 * const { images } = await kandinsky.textToImage({ prompt: 'a red circle on a white background', seed: 1 });
 * ```
 */
export async function loadKandinsky3(directory: string, options: LoadKandinsky3Options = {}): Promise<Kandinsky3> {
  assertDirectory(directory);
  assertOptionsObject('options', options);
  const folder = await openModelFolder(directory);
  const tokenizer = await loadTokenizer(folder);
  const backend = options.backend ?? (await createNodeBackend(options));
  return Kandinsky3.create({
    backend,
    folder,
    tokenizer,
    lowMemory: options.lowMemory ?? false,
    loadOptions: options.loadOptions ?? {},
  });
}
