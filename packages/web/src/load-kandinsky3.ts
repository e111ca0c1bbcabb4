import {
  ControlNetPipeline,
  IpAdapterPipeline,
  Kandinsky3,
  ModelFolder,
  type AbortSignalLike,
  type Backend,
  type Kandinsky3ComponentsOptions,
  type LoadModelOptions,
} from '@kandinsky/core';
import { fetchFileSource, type FetchFileSource, type FetchFileSourceOptions } from './fetch-file-source.js';
import { modelPrecisionOf } from './model-precision.js';
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

/** A pipeline opened over HTTP, with the file source that feeds it (for cache control). */
export interface WebPipeline<P> {
  readonly pipeline: P;
  readonly files: FetchFileSource;
  readonly backend: Backend;
  /** The folder's `model_index.json` `_class_name`, e.g. "Kandinsky3Pipeline". */
  readonly className: string;
}

/** A {@link Kandinsky3} opened over HTTP. */
export type WebKandinsky3 = WebPipeline<Kandinsky3>;

async function open(baseUrl: string, options: LoadKandinsky3Options): Promise<{ components: Kandinsky3ComponentsOptions; files: FetchFileSource; className: string }> {
  const backend = options.backend ?? (await createWebBackend(options));
  const precision = modelPrecisionOf(backend);
  const files = fetchFileSource(baseUrl, { ...(precision ? { precision } : {}), ...options });
  const folder = await ModelFolder.open(files, options.signal);
  const tokenizer = await loadTokenizer(folder);
  const className = String((JSON.parse(await files.readText('model_index.json', options.signal)) as { _class_name?: unknown })._class_name ?? '');
  return { components: { backend, folder, tokenizer, lowMemory: options.lowMemory ?? false, loadOptions: options.loadOptions ?? {} }, files, className };
}

/**
 * Opens a Kandinsky 3 IP-Adapter folder (variation and mixing, spec §4.6) served at `baseUrl`.
 * Throws INVALID_MODEL_MANIFEST for another kind of folder.
 */
export async function loadIpAdapter(baseUrl: string, options: LoadKandinsky3Options = {}): Promise<WebPipeline<IpAdapterPipeline>> {
  const { components, files, className } = await open(baseUrl, options);
  return { pipeline: await IpAdapterPipeline.create(components), files, backend: components.backend, className };
}

/**
 * Opens a Kandinsky 3 ControlNet (HED) folder (spec §4.7) served at `baseUrl`.
 * Throws INVALID_MODEL_MANIFEST for another kind of folder.
 */
export async function loadControlNet(baseUrl: string, options: LoadKandinsky3Options = {}): Promise<WebPipeline<ControlNetPipeline>> {
  const { components, files, className } = await open(baseUrl, options);
  return { pipeline: await ControlNetPipeline.create(components), files, backend: components.backend, className };
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
  const { components, files, className } = await open(baseUrl, options);
  return { pipeline: await Kandinsky3.create(components), files, backend: components.backend, className };
}
