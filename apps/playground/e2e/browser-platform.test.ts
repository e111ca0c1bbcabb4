import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tinyModelPath } from '@kandinsky/tiny-models';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground, type Playground } from './playground-harness.js';

// What the browser itself decides, checked in headless Chromium: the WebGPU adapter's features
// (SwiftShader here) and a real storage quota (set through the DevTools protocol). The page
// imports @kandinsky/web's modules from source through the Vite dev server (through `new Function`,
// so that Vitest does not rewrite the `import()` of the page's code as its own).
const WEB_SOURCE = fileURLToPath(new URL('../../../packages/web/src/', import.meta.url));
const UNET_BYTES = statSync(`${tinyModelPath('kandinsky3-tiny')}/unet/model.onnx`).size;

describe('@kandinsky/web on the browser\'s own devices and storage (headless Chromium)', () => {
  let playground: Playground;
  let page: Page;

  beforeAll(async () => {
    playground = await startPlayground();
    page = await (await playground.browser.newContext()).newPage();
    await page.goto(playground.url);
  }, 60_000);

  afterAll(async () => {
    await playground?.close();
  });

  it('reads shader-f16 from the real adapter and picks fp16 files accordingly', async () => {
    const found = await page.evaluate(async (source) => {
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<any>;
      const { probeDevice } = await load(`/@fs${source}probe-device.ts`);
      const { selectModelFile } = await load(`/@fs${source}model-precision.ts`);
      const probe = await probeDevice();
      const adapter = await (navigator as unknown as { gpu: { requestAdapter(): Promise<{ features: Set<string> }> } }).gpu.requestAdapter();
      const fp16Only = { kind: 'unet', compute_dtype: 'float16' };
      const withVariant = { kind: 'unet', compute_dtype: 'float32', float16_file: 'model.fp16.onnx' };
      const precision = { device: 'webgpu', shaderF16: probe.shaderF16 };
      let fp16OnlyChoice: string;
      try {
        fp16OnlyChoice = selectModelFile('unet/model.onnx', fp16Only, precision);
      } catch (error) {
        fp16OnlyChoice = (error as { code: string }).code;
      }
      return {
        probe,
        adapterHasF16: adapter.features.has('shader-f16'),
        variantChoice: selectModelFile('unet/model.onnx', withVariant, precision),
        fp16OnlyChoice,
      };
    }, WEB_SOURCE);
    console.log(`[web] WebGPU adapter ${found.probe.adapter ?? '(unnamed)'}: shader-f16 ${found.probe.shaderF16 ? 'yes' : 'no'} → fp16 variant ${found.variantChoice}, fp16-only model ${found.fp16OnlyChoice}`);
    expect(found.probe.webgpu).toBe(true);
    expect(found.probe.shaderF16).toBe(found.adapterHasF16);
    if (found.probe.shaderF16) {
      expect(found).toMatchObject({ variantChoice: 'unet/model.fp16.onnx', fp16OnlyChoice: 'unet/model.onnx' });
    } else {
      expect(found).toMatchObject({ variantChoice: 'unet/model.onnx', fp16OnlyChoice: 'DEVICE_UNAVAILABLE' });
    }
  });

  it('reports a full storage quota as CACHE_QUOTA_EXCEEDED, and still yields the bytes by default', async () => {
    const cdp = await page.context().newCDPSession(page);
    const origin = new URL(playground.url).origin;
    // A real quota far below the tiny UNet (4 MB): Chromium's Cache Storage put then rejects.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 64 * 1024 });
    try {
      const outcome = await page.evaluate(async (source) => {
        const load = new Function('url', 'return import(url)') as (url: string) => Promise<any>;
        const { fetchFileSource } = await load(`/@fs${source}fetch-file-source.ts`);
        const { cacheStorageModelCache } = await load(`/@fs${source}model-cache.ts`);
        const cache = cacheStorageModelCache('kandinsky-quota-test');
        await cache.clear();
        const warnings: { code: string; details?: Record<string, unknown> }[] = [];
        const files = fetchFileSource('/models/kandinsky3-tiny/', { cache, onProgress: (event: { type: string }) => event.type === 'warning' && warnings.push(event as never) });
        const bytes = (await files.readBytes('unet/model.onnx')).byteLength;
        const cached = await files.isCached('unet/model.onnx');
        const strict = fetchFileSource('/models/kandinsky3-tiny/', { cache, onCacheQuotaExceeded: 'throw' });
        const error = await strict.readBytes('unet/model.onnx').then(
          () => undefined,
          (caught: { code?: string; message?: string; cause?: { name?: string } }) => ({ code: caught.code, message: caught.message, cause: caught.cause?.name }),
        );
        await cache.clear();
        return { bytes, cached, warnings, error };
      }, WEB_SOURCE);
      console.log(`[web] Cache Storage with a 64 KiB quota: ${outcome.error?.code} (${outcome.error?.cause}); default mode returned ${outcome.bytes} bytes, cached ${outcome.cached}`);
      expect(outcome.bytes).toBe(UNET_BYTES);
      expect(outcome.cached).toBe(false);
      expect(outcome.warnings).toEqual([
        expect.objectContaining({ code: 'CACHE_UNAVAILABLE', details: expect.objectContaining({ code: 'CACHE_QUOTA_EXCEEDED', file: 'unet/model.onnx', bytes: UNET_BYTES }) }),
      ]);
      expect(outcome.error).toMatchObject({ code: 'CACHE_QUOTA_EXCEEDED', message: expect.stringContaining('unet/model.onnx'), cause: 'QuotaExceededError' });
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    }
  });
});
