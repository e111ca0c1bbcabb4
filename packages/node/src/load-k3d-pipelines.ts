import { ControlNetPipeline, IpAdapterPipeline, type Kandinsky3ComponentsOptions } from '@kandinsky/core';
import type { LoadKandinsky3Options } from './load-kandinsky3.js';
import { assertOptionsObject } from './argument-checks.js';
import { openModelFolder } from './model-directory.js';
import { createNodeBackend } from './node-backend.js';
import { loadTokenizer } from './tokenizer.js';

async function componentsOptions(directory: string, options: LoadKandinsky3Options): Promise<Kandinsky3ComponentsOptions> {
  assertOptionsObject('options', options);
  const folder = await openModelFolder(directory);
  const tokenizer = await loadTokenizer(folder);
  const backend = options.backend ?? (await createNodeBackend(options));
  return { backend, folder, tokenizer, lowMemory: options.lowMemory ?? false, loadOptions: options.loadOptions ?? {} };
}

/**
 * Opens a Kandinsky 3 IP-Adapter folder (convention C, spec §4.6) from disk; models load on first use.
 * Throws INVALID_MODEL_MANIFEST for another kind of folder.
 * ```ts
 * const ip = await loadIpAdapter(tinyModelPath('kandinsky3-tiny-ip-adapter'));
 * const { images } = await ip.variation({ image: await readImage('red-circle.png'), seed: 1 });
 * ```
 */
export async function loadIpAdapter(directory: string, options: LoadKandinsky3Options = {}): Promise<IpAdapterPipeline> {
  return IpAdapterPipeline.create(await componentsOptions(directory, options));
}

/**
 * Opens a Kandinsky 3 ControlNet v1 (HED) folder (convention C, spec §4.7) from disk; models load
 * on first use. Throws INVALID_MODEL_MANIFEST for another kind of folder.
 * ```ts
 * const controlnet = await loadControlNet(tinyModelPath('kandinsky3-tiny-controlnet-hed'));
 * const { images, hint } = await controlnet.generate({ image, prompt: 'a green square on a white background', seed: 1 });
 * ```
 */
export async function loadControlNet(directory: string, options: LoadKandinsky3Options = {}): Promise<ControlNetPipeline> {
  return ControlNetPipeline.create(await componentsOptions(directory, options));
}
