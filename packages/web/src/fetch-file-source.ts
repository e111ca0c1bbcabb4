import {
  DownloadProgress,
  KandinskyError,
  ModelFolder,
  emitProgress,
  invalidArgument,
  kandinskyError,
  throwIfAborted,
  type AbortSignalLike,
  type ComponentConfig,
  type ModelFileSource,
  type ModelSource,
  type ProgressCallback,
} from '@kandinsky/core';
import { checkOptions, folderUrl } from './argument-checks.js';
import { cacheStorageModelCache, mismatch, type ExpectedFile, type ModelCache } from './model-cache.js';
import { selectModelFile, type ModelPrecision } from './model-precision.js';

/** Options of {@link fetchFileSource}. */
export interface FetchFileSourceOptions {
  /**
   * The persistent cache, or `false` for none.
   * @default Cache Storage "kandinsky-models-v1" when `caches` exists, else none
   */
  cache?: ModelCache | false;
  /**
   * Receives `download` events per file, with `overall` sums over the files of this source.
   * @default undefined
   */
  onProgress?: ProgressCallback;
  /**
   * The fetch to use (tests, auth headers).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * The device the models will run on, to pick each component's fp16 or fp32 file (see
   * `selectModelFile`). The loaders of this package set it from their backend.
   * @default undefined (always `model.onnx`)
   */
  precision?: ModelPrecision;
  /**
   * What a full storage quota does when a checked file is stored: `warn` returns the bytes anyway
   * (the model runs, and downloads again next time) and emits a `warning` progress event with
   * code CACHE_UNAVAILABLE and `details.code` CACHE_QUOTA_EXCEEDED; `throw` rejects the read
   * with the CACHE_QUOTA_EXCEEDED error.
   * @default 'warn'
   */
  onCacheQuotaExceeded?: 'warn' | 'throw';
}

/** A folder's optional `files.json`: each file's size and sha256, checked before caching. */
export interface FileList {
  readonly files: Readonly<Record<string, ExpectedFile>>;
}

/** A {@link ModelFileSource} over `fetch`, with `isCached` and `clearCache`. */
export interface FetchFileSource extends ModelFileSource {
  /** True when every listed file (or `path`) is in the cache. */
  isCached(path?: string): Promise<boolean>;
  /** Deletes the cache (every folder's entries). */
  clearCache(): Promise<void>;
}

function checkPath(path: string, base: string): void {
  // Same rule as on disk (docs/model-format.md §1.1): files live inside the folder.
  const parts = path.split('/');
  if (path === '' || path.startsWith('/') || /^[a-z]+:/i.test(path) || parts.includes('..') || path.includes('\\')) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `The path ${JSON.stringify(path)} leaves the model folder ${JSON.stringify(base)}.`,
      'Model folders only refer to files inside themselves (docs/model-format.md §1.1).',
      { path, folder: base },
    );
  }
}

function notFound(url: string, reason: string, hint: string, details: Record<string, unknown>, cause?: unknown): KandinskyError {
  return kandinskyError('MODEL_NOT_FOUND', `The model file ${url} could not be downloaded: ${reason}.`, hint, { url, ...details }, cause);
}

function looksLikeHtml(bytes: Uint8Array, contentType: string | null): boolean {
  if (contentType?.includes('text/html')) return true;
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/**
 * A model folder served over HTTP at `baseUrl`: the same files, manifest and path rules as on
 * disk. When the folder has a `files.json` (`{ files: { "unet/model.onnx": { size, sha256 } } }`)
 * every file is checked against it; otherwise against `Content-Length`. A file is cached only
 * after it checked out, so an HTML error page or a truncated body never is; a file whose size
 * is known from neither is downloaded but not cached.
 * ```ts
 * const files = fetchFileSource('/models/kandinsky3-tiny/', { onProgress: console.log });
 * const folder = await ModelFolder.open(files);
 * ```
 */
export function fetchFileSource(baseUrl: string, options: FetchFileSourceOptions = {}): FetchFileSource {
  const base = folderUrl(baseUrl);
  checkOptions('options', options);
  const cache: ModelCache | undefined =
    options.cache === false ? undefined : (options.cache ?? (typeof caches === 'undefined' ? undefined : cacheStorageModelCache()));
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  // Per-file progress, summed into `overall` for one progress bar.
  const downloads = new DownloadProgress(options.onProgress);
  let fileList: Promise<FileList | undefined> | undefined;

  const listed = (signal?: AbortSignalLike): Promise<FileList | undefined> => {
    fileList ??= (async () => {
      const response = await doFetch(new URL('files.json', base), { signal: signal as AbortSignal | undefined }).catch(() => undefined);
      if (!response?.ok || response.headers.get('content-type')?.includes('text/html')) return undefined;
      try {
        const json = (await response.json()) as FileList;
        return typeof json?.files === 'object' && json.files !== null ? json : undefined;
      } catch {
        return undefined;
      }
    })();
    const pending = fileList;
    pending.catch(() => {
      if (fileList === pending) fileList = undefined;
    });
    return pending;
  };

  const onQuota = options.onCacheQuotaExceeded ?? 'warn';
  if (onQuota !== 'warn' && onQuota !== 'throw') {
    throw invalidArgument('onCacheQuotaExceeded', onQuota, '"warn" or "throw"', 'Leave it out to keep running from memory when the quota is full.');
  }
  const store = async (path: string, url: string, bytes: Uint8Array, check: ExpectedFile): Promise<void> => {
    try {
      await cache!.write(url, bytes, check);
    } catch (error) {
      if (onQuota === 'throw' || !KandinskyError.isInstance(error) || (error as KandinskyError).code !== 'CACHE_QUOTA_EXCEEDED') throw error;
      emitProgress(options.onProgress, {
        type: 'warning',
        code: 'CACHE_UNAVAILABLE',
        message: `${path} was downloaded but not cached: ${(error as KandinskyError).message}`,
        details: { code: 'CACHE_QUOTA_EXCEEDED', file: path, url, bytes: check.size },
      });
    }
  };

  const download = async (path: string, url: string, expected: ExpectedFile | undefined, signal?: AbortSignalLike): Promise<Uint8Array> => {
    let response: Response;
    try {
      response = await doFetch(url, { signal: signal as AbortSignal | undefined });
    } catch (cause) {
      throwIfAborted(signal, `Downloading ${path}`);
      throw notFound(url, `the request failed (${cause instanceof Error ? cause.message : String(cause)})`, 'Check the model folder URL and your connection.', { reason: 'network' }, cause);
    }
    if (!response.ok) {
      throw notFound(url, `HTTP ${response.status}`, 'Check the model folder URL; every file of the folder must be served beside model_index.json.', { reason: 'http-status', status: response.status });
    }
    const lengthHeader = response.headers.get('content-length');
    // Content-Length is the encoded size: only a size for identity-encoded bodies.
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const total = expected?.size ?? (lengthHeader !== null && !encoded ? Number(lengthHeader) : undefined);
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    downloads.update(path, 0, total, false);
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      downloads.update(path, loaded, total, false);
    }
    const bytes = new Uint8Array(loaded);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    if (!path.endsWith('.html') && looksLikeHtml(bytes, response.headers.get('content-type'))) {
      throw notFound(url, 'the server answered with an HTML page', 'The server has no such file and served a page instead (a single-page-app fallback?); check the model folder URL.', { reason: 'html-page' });
    }
    const check: ExpectedFile | undefined = expected ?? (total === undefined ? undefined : { size: total });
    if (check !== undefined) {
      const why = await mismatch(bytes, check);
      if (why !== undefined) {
        throw notFound(url, `the body does not match (${why})`, 'The download was truncated or the file changed on the server; retry, or re-export files.json.', { reason: expected?.sha256 && !why.includes('bytes') ? 'sha256-mismatch' : 'size-mismatch', expected: check });
      }
      if (cache) await store(path, url, bytes, check);
    }
    return bytes;
  };

  const readBytes = async (path: string, signal?: AbortSignalLike): Promise<Uint8Array> => {
    throwIfAborted(signal, `Reading ${path}`);
    checkPath(path, base);
    const url = new URL(path, base).href;
    const expected = path === 'files.json' ? undefined : (await listed(signal))?.files[path];
    if (cache && path !== 'files.json') {
      const cached = await cache.read(url, expected);
      if (cached) {
        downloads.update(path, cached.byteLength, cached.byteLength, true);
        return cached;
      }
    }
    return download(path, url, expected, signal);
  };

  /** The `config.json` beside a model file, or `undefined` when the component has none. */
  const componentConfig = async (path: string, signal?: AbortSignalLike): Promise<ComponentConfig | undefined> => {
    const configPath = `${path.slice(0, path.lastIndexOf('/') + 1)}config.json`;
    let text: string;
    try {
      text = new TextDecoder().decode(await readBytes(configPath, signal));
    } catch (error) {
      if (KandinskyError.isInstance(error) && (error as KandinskyError).code === 'MODEL_NOT_FOUND') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as ComponentConfig;
    } catch (cause) {
      throw kandinskyError('INVALID_MODEL_MANIFEST', `${configPath} in ${base} is not valid JSON.`, 'Re-export the model folder.', { path: configPath }, cause);
    }
  };

  return {
    location: base,
    readBytes,
    readText: async (path, signal) => new TextDecoder().decode(await readBytes(path, signal)),
    // onnxruntime-web takes the model as bytes: they come through the cache like every file.
    // External data (`model.onnx.data`, docs/model-format.md §1.3) is passed as its own buffer,
    // never concatenated with the graph; it is found through files.json.
    modelSource: async (requested, signal): Promise<ModelSource> => {
      // Only WebGPU has a choice to make (selectModelFile): elsewhere config.json is not read here.
      const precision = options.precision;
      const path = precision?.device === 'webgpu' ? selectModelFile(requested, await componentConfig(requested, signal), precision) : requested;
      const model = await readBytes(path, signal);
      const dataPath = `${path}.data`;
      if ((await listed(signal))?.files[dataPath] === undefined) return model;
      const name = dataPath.slice(dataPath.lastIndexOf('/') + 1);
      return { model, externalData: [{ path: name, data: await readBytes(dataPath, signal) }] };
    },
    async isCached(path) {
      if (!cache) return false;
      const list = await listed();
      const paths = path === undefined ? Object.keys(list?.files ?? {}) : [path];
      if (paths.length === 0) return false;
      for (const entry of paths) if (!(await cache.has(new URL(entry, base).href))) return false;
      return true;
    },
    async clearCache() {
      await cache?.clear();
    },
  };
}

/** Opens a model folder served at `baseUrl` (reads and validates its `model_index.json`). */
export async function openModelFolderUrl(baseUrl: string, options: FetchFileSourceOptions = {}, signal?: AbortSignalLike): Promise<ModelFolder> {
  return await ModelFolder.open(fetchFileSource(baseUrl, options), signal);
}
