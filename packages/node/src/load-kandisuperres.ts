import type { Backend, LoadModelOptions } from '@kandinsky/core';
import { KandiSuperRes } from '@kandinsky/superres';
import { createNodeBackend, type NodeBackendOptions } from './node-backend.js';
import { openModelFolder } from './model-directory.js';

/** Options of {@link loadKandiSuperRes}. */
export interface LoadKandiSuperResOptions extends NodeBackendOptions {
  /**
   * A backend to reuse (e.g. the one a Kandinsky3 instance runs on); when set, the device
   * options are ignored.
   * @default a new NodeBackend from the device options
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
}

/**
 * Opens a KandiSuperRes folder from disk, ready to upscale (the UNet loads on first use):
 * ```ts
 * const sr = await loadKandiSuperRes('models/tiny/kandisuperres-x4', { device: 'cpu' });
 * const { image } = await sr.upscale({ image: await readImage('small.png') });
 * ```
 */
export async function loadKandiSuperRes(directory: string, options: LoadKandiSuperResOptions = {}): Promise<KandiSuperRes> {
  const folder = await openModelFolder(directory);
  const backend = options.backend ?? (await createNodeBackend(options));
  return KandiSuperRes.create({
    backend,
    folder,
    lowMemory: options.lowMemory ?? false,
    loadOptions: options.loadOptions ?? {},
  });
}
