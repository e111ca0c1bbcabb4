import { Kandinsky3, ModelFolder, type AbortSignalLike, type Backend, type LoadModelOptions } from '@kandinsky/core';
import { fetchFileSource, type FetchFileSource, type FetchFileSourceOptions } from './fetch-file-source.js';
import { loadTokenizer } from './tokenizer.js';
import { createWebBackend, type WebBackendOptions } from './web-backend.js';

/** Options of {@link loadKandinsky3}. */
export interface LoadKandinsky3Options extends WebBackendOptions, FetchFileSourceOptions {
  /**
   * A backend to reuse; when set, the device options are ignored.
   * @default a new WebBackend from the device options
   */
  backend?: Backend;
  /**
   * Release each stage's sessions after use (lower peak memory, slower repeated calls).
   * @default false
   */
  lowMemory?: boolean;
  /**
   * Options for every model load.
   * @default {}
   */
  loadOptions?: LoadModelOptions;
  /**
   * Cancels opening the folder.
   * @default undefined
   */
  signal?: AbortSignalLike;
}

/** A {@link Kandinsky3} opened over HTTP, with the file source that feeds it (for cache control). */
export interface WebKandinsky3 {
  readonly pipeline: Kandinsky3;
  readonly files: FetchFileSource;
  readonly backend: Backend;
}

/**
 * Opens a Kandinsky 3 model folder served at `baseUrl`, ready to generate (models download and
 * load on first use). Run it in a worker (see `handleWorkerRequests`): the page never should.
 * ```ts
 * const { pipeline } = await loadKandinsky3('/models/kandinsky3-tiny/', { device: 'wasm', wasmPaths: '/ort/' });
 * const { images } = await pipeline.textToImage({ prompt: 'a red circle on a white background', seed: 1 });
 * ```
 */
export async function loadKandinsky3(baseUrl: string, options: LoadKandinsky3Options = {}): Promise<WebKandinsky3> {
  const files = fetchFileSource(baseUrl, options);
  const folder = await ModelFolder.open(files, options.signal);
  const tokenizer = await loadTokenizer(folder);
  const backend = options.backend ?? (await createWebBackend(options));
  const pipeline = await Kandinsky3.create({ backend, folder, tokenizer, lowMemory: options.lowMemory ?? false, loadOptions: options.loadOptions ?? {} });
  return { pipeline, files, backend };
}
