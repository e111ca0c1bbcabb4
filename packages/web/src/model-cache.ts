import { invalidArgument, kandinskyError } from '@kandinsky/core';

/**
 * The persistent cache of downloaded model files, in Cache Storage.
 *
 * Why Cache Storage: it exists in pages and workers alike, stores a `Response` body to disk as a
 * stream (no second copy in memory while writing), is keyed by URL like the files themselves,
 * and its usage counts against the origin's quota that `navigator.storage.estimate()` reports.
 * OPFS would be the better store for multi-GB files read in pieces (random access without one
 * Response per file); onnxruntime-web takes each model as one buffer anyway today, so nothing
 * is lost yet. Each entry carries the size (and sha256 when known) it was checked against, and
 * reads check the bytes again, so a corrupted or truncated entry is detected and re-fetched.
 */
export interface ModelCache {
  /**
   * The bytes stored for `url`, checked against `expected` (by default against the size and
   * sha256 the entry was stored with), or `undefined` when missing or no longer matching.
   */
  read(url: string, expected?: ExpectedFile): Promise<Uint8Array | undefined>;
  /**
   * Stores `bytes` for `url`; the caller has verified them against `expected`. Rejects with
   * CACHE_QUOTA_EXCEEDED when the origin's storage quota has no room for them.
   */
  write(url: string, bytes: Uint8Array, expected: ExpectedFile): Promise<void>;
  /** True when `url` has an entry (not verified). */
  has(url: string): Promise<boolean>;
  /** Deletes every entry. */
  clear(): Promise<void>;
}

/** What a file must be: its size and, when the folder's `files.json` lists it, its sha256. */
export interface ExpectedFile {
  readonly size: number;
  readonly sha256?: string;
}

/** The Cache Storage name used by default. */
export const DEFAULT_CACHE_NAME = 'kandinsky-models-v1';

/** Hex sha256 of `bytes` (WebCrypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', bytes, 'a Uint8Array', 'Pass the file\'s bytes as a Uint8Array.');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Why `bytes` do not match `expected`, or `undefined` when they do. */
export async function mismatch(bytes: Uint8Array, expected: ExpectedFile): Promise<string | undefined> {
  if (bytes.byteLength !== expected.size) return `${bytes.byteLength} bytes instead of ${expected.size}`;
  if (expected.sha256 !== undefined) {
    const actual = await sha256Hex(bytes);
    if (actual !== expected.sha256.toLowerCase()) return `sha256 ${actual} instead of ${expected.sha256}`;
  }
  return undefined;
}

function isQuotaError(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'QuotaExceededError' || error.code === 22);
}

/** A {@link ModelCache} in Cache Storage under `name`. */
export function cacheStorageModelCache(name: string = DEFAULT_CACHE_NAME): ModelCache {
  const open = () => caches.open(name);
  return {
    async read(url, expected) {
      const response = await (await open()).match(url);
      if (response === undefined) return undefined;
      const stored = response.headers.get('x-kandinsky-sha256');
      const check = expected ?? { size: Number(response.headers.get('x-kandinsky-size')), ...(stored ? { sha256: stored } : {}) };
      const bytes = new Uint8Array(await response.arrayBuffer());
      return (await mismatch(bytes, check)) === undefined ? bytes : undefined;
    },
    async write(url, bytes, expected) {
      const headers = new Headers({ 'content-type': 'application/octet-stream', 'x-kandinsky-size': String(expected.size) });
      if (expected.sha256 !== undefined) headers.set('x-kandinsky-sha256', expected.sha256);
      try {
        await (await open()).put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
      } catch (cause) {
        if (!isQuotaError(cause)) throw cause;
        throw kandinskyError(
          'CACHE_QUOTA_EXCEEDED',
          `The browser's storage quota is full: ${url} (${expected.size} bytes) could not be cached.`,
          'Free space with clearCache() or the browser\'s site settings, or load the model without a cache (cache: false).',
          { url, bytes: expected.size },
          cause,
        );
      }
    },
    async has(url) {
      return (await (await open()).match(url)) !== undefined;
    },
    async clear() {
      await caches.delete(name);
    },
  };
}
