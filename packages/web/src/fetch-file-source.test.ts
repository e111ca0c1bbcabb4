import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProgressEvent } from '@kandinsky/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFileSource, type FileList } from './fetch-file-source.js';
import { cacheStorageModelCache, mismatch, type ExpectedFile, type ModelCache } from './model-cache.js';

// A loopback server stands in for a model host; its routes break in the ways real hosts do.
const weights = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const listed: FileList = {
  files: {
    'unet/model.onnx': { size: weights.byteLength, sha256: sha(weights) },
    'truncated/model.onnx': { size: weights.byteLength },
    'changed/model.onnx': { size: weights.byteLength, sha256: sha(weights) },
    'ext/model.onnx': { size: 10 },
    'ext/model.onnx.data': { size: weights.byteLength, sha256: sha(weights) },
  },
};

/** Cache Storage stand-in (Node has no `caches`), with the same verify-on-read rule. */
function memoryCache(): ModelCache & { entries: Map<string, { bytes: Uint8Array; expected: ExpectedFile }> } {
  const entries = new Map<string, { bytes: Uint8Array; expected: ExpectedFile }>();
  return {
    entries,
    async read(url, expected) {
      const entry = entries.get(url);
      if (!entry) return undefined;
      return (await mismatch(entry.bytes, expected ?? entry.expected)) === undefined ? entry.bytes : undefined;
    },
    async write(url, bytes, expected) {
      entries.set(url, { bytes: bytes.slice(), expected });
    },
    async has(url) {
      return entries.has(url);
    },
    async clear() {
      entries.clear();
    },
  };
}

describe('fetchFileSource', () => {
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const path = request.url!.replace(/^\/m\//, '');
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const send = (status: number, body: Uint8Array | string, type = 'application/octet-stream', length?: number) => {
        response.writeHead(status, { 'content-type': type, 'content-length': String(length ?? Buffer.byteLength(body)) });
        response.end(body);
      };
      switch (path) {
        case 'files.json':
          return send(200, JSON.stringify(listed), 'application/json');
        case 'unet/model.onnx':
          return send(200, weights);
        case 'truncated/model.onnx':
          return send(200, weights.subarray(0, 1000));
        case 'changed/model.onnx':
          return send(200, weights.map((value) => value ^ 1));
        case 'ext/model.onnx':
          return send(200, weights.subarray(0, 10));
        case 'ext/model.onnx.data':
          return send(200, weights);
        case 'half/config.json':
          return send(200, JSON.stringify({ kind: 'unet', compute_dtype: 'float32', float16_file: 'model.fp16.onnx' }), 'application/json');
        case 'half/model.onnx':
          return send(200, weights.subarray(0, 20));
        case 'half/model.fp16.onnx':
          return send(200, weights.subarray(0, 10));
        case 'fp16only/config.json':
          return send(200, JSON.stringify({ kind: 'unet', compute_dtype: 'float16' }), 'application/json');
        case 'fp16only/model.onnx':
          return send(200, weights.subarray(0, 10));
        case 'spa/config.json':
          return send(200, '<!doctype html><html><body>app</body></html>', 'text/html');
        default:
          return send(404, 'not found', 'text/plain');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads with per-file and overall progress, caches after the checks, then serves from the cache', async () => {
    const cache = memoryCache();
    const events: ProgressEvent[] = [];
    const files = fetchFileSource(base, { cache, onProgress: (event) => events.push(event) });
    expect(await files.readBytes('unet/model.onnx')).toEqual(weights);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'download', file: 'unet/model.onnx', loadedBytes: 3000, totalBytes: 3000, fromCache: false, overall: { loadedBytes: 3000, totalBytes: 3000 } });
    expect(cache.entries.has(`${base}unet/model.onnx`)).toBe(true);

    const before = hits.get('unet/model.onnx');
    const again = fetchFileSource(base, { cache, onProgress: (event) => events.push(event) });
    expect(await again.readBytes('unet/model.onnx')).toEqual(weights);
    expect(hits.get('unet/model.onnx')).toBe(before);
    expect(events.at(-1)).toMatchObject({ fromCache: true, loadedBytes: 3000 });
  });

  it('re-fetches a cached file that no longer matches its size and sha256', async () => {
    const cache = memoryCache();
    await cache.write(`${base}unet/model.onnx`, weights.subarray(0, 10), { size: 10 });
    const before = hits.get('unet/model.onnx') ?? 0;
    expect(await fetchFileSource(base, { cache }).readBytes('unet/model.onnx')).toEqual(weights);
    expect(hits.get('unet/model.onnx')).toBe(before + 1);
    expect(cache.entries.get(`${base}unet/model.onnx`)!.bytes).toEqual(weights);
  });

  it.each([
    ['a truncated body', 'truncated/model.onnx', /1000 bytes instead of 3000/, 'size-mismatch'],
    ['a body whose sha256 differs', 'changed/model.onnx', /sha256 [0-9a-f]{64} instead of/, 'sha256-mismatch'],
    ['an HTML page served for a missing file', 'spa/config.json', /HTML page/, 'html-page'],
    ['a 404', 'missing/model.onnx', /HTTP 404/, 'http-status'],
  ])('rejects %s with MODEL_NOT_FOUND and caches nothing', async (_name, path, message, reason) => {
    const cache = memoryCache();
    const error = await fetchFileSource(base, { cache }).readBytes(path).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringMatching(message), details: { reason } });
    expect((error as Error).message).toContain(`${base}${path}`);
    expect(cache.entries.size).toBe(0);
  });

  it('hands a listed model.onnx.data to the backend as its own external-data buffer', async () => {
    const files = fetchFileSource(base, { cache: memoryCache() });
    expect(await files.modelSource('ext/model.onnx')).toEqual({ model: weights.subarray(0, 10), externalData: [{ path: 'model.onnx.data', data: weights }] });
    expect(await files.modelSource('unet/model.onnx')).toEqual(weights);
  });

  it('refuses paths that leave the folder, as on disk', async () => {
    const files = fetchFileSource(base, { cache: false });
    for (const path of ['../secret', '/etc/passwd', 'https://example.com/x', 'a/../../b']) {
      await expect(files.readBytes(path)).rejects.toMatchObject({ code: 'INVALID_MODEL_MANIFEST' });
    }
  });

  it('says whether every listed file is cached, and clears the cache', async () => {
    const cache = memoryCache();
    const files = fetchFileSource(base, { cache });
    await files.readBytes('unet/model.onnx');
    expect(await files.isCached('unet/model.onnx')).toBe(true);
    expect(await files.isCached()).toBe(false); // the other listed files are not cached
    await files.clearCache();
    expect(await files.isCached('unet/model.onnx')).toBe(false);
  });

  it('picks the fp16 file on WebGPU with shader-f16 only, and says why an fp16-only component cannot run without it', async () => {
    const source = (precision: { device: 'wasm' | 'webgpu'; shaderF16: boolean }) => fetchFileSource(base, { cache: false, precision });
    expect(await source({ device: 'webgpu', shaderF16: true }).modelSource('half/model.onnx')).toEqual(weights.subarray(0, 10));
    expect(await source({ device: 'webgpu', shaderF16: false }).modelSource('half/model.onnx')).toEqual(weights.subarray(0, 20));
    expect(await source({ device: 'wasm', shaderF16: true }).modelSource('half/model.onnx')).toEqual(weights.subarray(0, 20));
    // No config.json (404): the plain file.
    expect(await source({ device: 'webgpu', shaderF16: true }).modelSource('unet/model.onnx')).toEqual(weights);
    await expect(source({ device: 'webgpu', shaderF16: false }).modelSource('fp16only/model.onnx')).rejects.toMatchObject({
      code: 'DEVICE_UNAVAILABLE',
      message: expect.stringContaining('fp16only/model.onnx computes in float16'),
      details: { shaderF16: false },
    });
    expect(await source({ device: 'webgpu', shaderF16: true }).modelSource('fp16only/model.onnx')).toEqual(weights.subarray(0, 10));
  });

  describe('with a full storage quota (Cache Storage put rejects with QuotaExceededError)', () => {
    const realCaches = (globalThis as { caches?: unknown }).caches;
    beforeAll(() => {
      // Node has no Cache Storage: this stand-in fails every put as Chromium does when the
      // origin's quota is used up (a DOMException named QuotaExceededError).
      const stored = new Map<string, Response>();
      (globalThis as { caches?: unknown }).caches = {
        open: async () => ({
          match: async (url: string) => stored.get(url)?.clone(),
          put: async () => {
            throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          },
        }),
        delete: async () => true,
      };
    });
    afterAll(() => {
      (globalThis as { caches?: unknown }).caches = realCaches;
    });

    it('the cache reports CACHE_QUOTA_EXCEEDED naming the file', async () => {
      const error = await cacheStorageModelCache().write(`${base}unet/model.onnx`, weights, { size: 3000 }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'CACHE_QUOTA_EXCEEDED', message: expect.stringContaining(`${base}unet/model.onnx (3000 bytes)`), details: { bytes: 3000 } });
      expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(DOMException);
    });

    it('by default the download still yields the bytes, with a CACHE_UNAVAILABLE warning that says so', async () => {
      const events: ProgressEvent[] = [];
      const files = fetchFileSource(base, { cache: cacheStorageModelCache(), onProgress: (event) => events.push(event) });
      expect(await files.readBytes('unet/model.onnx')).toEqual(weights);
      expect(events.filter((event) => event.type === 'warning')).toEqual([
        expect.objectContaining({ code: 'CACHE_UNAVAILABLE', details: expect.objectContaining({ code: 'CACHE_QUOTA_EXCEEDED', file: 'unet/model.onnx', bytes: 3000 }) }),
      ]);
      expect(await files.isCached('unet/model.onnx')).toBe(false);
    });

    it("with onCacheQuotaExceeded: 'throw' the read fails with CACHE_QUOTA_EXCEEDED", async () => {
      const files = fetchFileSource(base, { cache: cacheStorageModelCache(), onCacheQuotaExceeded: 'throw' });
      await expect(files.readBytes('unet/model.onnx')).rejects.toMatchObject({ code: 'CACHE_QUOTA_EXCEEDED' });
      expect(() => fetchFileSource(base, { onCacheQuotaExceeded: 'ignore' as 'warn' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    });
  });
});
