import { ModelFolder, type AbortSignalLike, type Backend, type LoadModelOptions } from '@kandinsky/core';
import { KandiSuperRes } from '@kandinsky/superres';
import { fetchFileSource, type FetchFileSourceOptions } from './fetch-file-source.js';
import type { WebPipeline } from './load-kandinsky3.js';
import { modelPrecisionOf } from './model-precision.js';
import { createWebBackend, type WebBackendOptions } from './web-backend.js';

/** Options of {@link loadKandiSuperRes}. */
export interface LoadKandiSuperResOptions extends WebBackendOptions, FetchFileSourceOptions {
  /**
   * A backend to reuse (e.g. the one a Kandinsky3 runs on); when set, the device options are ignored.
   * @default a new WebBackend from the device options
   */
  backend?: Backend;
  /**
   * Release the UNet session after every call.
   * @default false
   */
  lowMemory?: boolean;
  /**
   * Options for the model load.
   * @default {}
   */
  loadOptions?: LoadModelOptions;
  /**
   * Cancels opening the folder.
   * @default undefined
   */
  signal?: AbortSignalLike;
}

/**
 * Opens a KandiSuperRes folder (spec §2.10, §4.8) served at `baseUrl`, ready to upscale (the UNet
 * downloads and loads on the first call), like `loadKandiSuperRes` of `@kandinsky/node`.
 * Throws INVALID_MODEL_MANIFEST for another kind of folder.
 * ```ts
 * const { pipeline: sr } = await loadKandiSuperRes('/models/kandisuperres-x4/', { device: 'wasm', wasmPaths: '/ort/' });
 * const { image } = await sr.upscale({ image: await decodeImage(blob), seed: 0 });
 * ```
 */
export async function loadKandiSuperRes(baseUrl: string, options: LoadKandiSuperResOptions = {}): Promise<WebPipeline<KandiSuperRes>> {
  const backend = options.backend ?? (await createWebBackend(options));
  const precision = modelPrecisionOf(backend);
  const files = fetchFileSource(baseUrl, { ...(precision ? { precision } : {}), ...options });
  const folder = await ModelFolder.open(files, options.signal);
  const pipeline = await KandiSuperRes.create({ backend, folder, lowMemory: options.lowMemory ?? false, loadOptions: options.loadOptions ?? {} });
  return { pipeline, files, backend, className: folder.index.className ?? 'KandiSuperResPipeline' };
}
