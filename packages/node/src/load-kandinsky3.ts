import { Kandinsky3Pipeline, type Backend, type LoadModelOptions, type NoiseSourceFactory } from '@kandinsky/core';
import { createNodeBackend, type NodeBackendOptions } from './node-backend.js';
import { openModelFolder } from './model-directory.js';
import { loadTokenizer } from './tokenizer.js';

/** Options of {@link loadKandinsky3}. */
export interface LoadKandinsky3Options extends NodeBackendOptions {
  /**
   * A backend to reuse (e.g. one shared by several pipelines); when set, the device options are
   * ignored.
   * @default a new NodeBackend from the device options
   */
  backend?: Backend;
  /**
   * Release each stage's sessions after use (see Kandinsky3PipelineOptions.lowMemory).
   * @default false
   */
  lowMemory?: boolean;
  /**
   * Options for every model load.
   * @default {}
   */
  loadOptions?: LoadModelOptions;
  /**
   * Where the denoising noise is drawn (identical numbers either way), e.g.
   * `createWorkerNoiseSources()` to draw the step noise ahead on a worker thread while the UNet
   * runs; the pipeline's `dispose()` disposes it.
   * @default inlineNoiseSources (on the calling thread)
   */
  noiseSources?: NoiseSourceFactory;
}

/**
 * Opens a Kandinsky 3 model folder from disk and returns a ready pipeline:
 * ```ts
 * const pipeline = await loadKandinsky3('models/tiny/kandinsky3-tiny', { device: 'cpu' });
 * const { images } = await pipeline.textToImage({ prompt: 'a red circle on a white background', seed: 1 });
 * ```
 */
export async function loadKandinsky3(directory: string, options: LoadKandinsky3Options = {}): Promise<Kandinsky3Pipeline> {
  const folder = await openModelFolder(directory);
  const tokenizer = await loadTokenizer(folder);
  const backend = options.backend ?? (await createNodeBackend(options));
  return Kandinsky3Pipeline.create({
    backend,
    folder,
    tokenizer,
    lowMemory: options.lowMemory ?? false,
    loadOptions: options.loadOptions ?? {},
    ...(options.noiseSources ? { noiseSources: options.noiseSources } : {}),
  });
}
