import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractGenerationMetadata, type RgbImage } from '@kandinsky/core';
import { loadControlNet, loadIpAdapter } from '../../../packages/node/src/load-k3d-pipelines.js';
import { loadKandinsky3 } from '../../../packages/node/src/load-kandinsky3.js';
import { tinyModelPath } from '@kandinsky/tiny-models';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapeColour } from '../../../packages/node/src/test-support/shape-colour.js';
import { OUTPUT_DIRECTORY, compareImages, generate, launchChromium, logRequests, startPlayground, type Playground, type RequestLog } from './playground-harness.js';

// Every run of these tests is the real stack: Vite serving the app, the worker, onnxruntime-web's
// WASM build and the tiny model folder over HTTP.
const MODEL_FILES = /^\/models\/kandinsky3-tiny\/.*\.onnx$/;

type Result = Awaited<ReturnType<typeof generate>>;
function image(result: Result): { png: Uint8Array; image: RgbImage } {
  if ('error' in result) throw new Error(`the page showed an error: ${result.error}`);
  return result;
}

describe('playground in headless Chromium (onnxruntime-web, worker)', () => {
  let playground: Playground;
  let context: BrowserContext;
  let page: Page;
  let requests: RequestLog;
  let redCircle: { png: Uint8Array; image: RgbImage };
  let blueCircle: { png: Uint8Array; image: RgbImage };

  beforeAll(async () => {
    playground = await startPlayground();
    context = await playground.browser.newContext({ viewport: { width: 960, height: 1000 } });
    // Main-thread tasks over 50 ms, recorded from the first script on.
    await context.addInitScript(() => {
      const durations: number[] = [];
      (window as unknown as { longTasks: number[] }).longTasks = durations;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) durations.push(entry.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    requests = logRequests(context);
    page = await context.newPage();
    // One WASM thread: the tests compare against onnxruntime-node with one thread.
    await page.goto(`${playground.url}?threads=1`);
  }, 60_000);

  afterAll(async () => {
    await playground?.close();
  });

  it('text → image on WASM gives the shape the prompt\'s colour, with the PNG metadata of core', async () => {
    const cases: [string, string][] = [
      ['a red circle on a white background', 'red'],
      ['a blue square on a yellow background', 'blue'],
      ['a green triangle on a black background', 'green'],
    ];
    const found: string[] = [];
    for (const [index, [prompt, colour]] of cases.entries()) {
      const result = image(await generate(page, { mode: 'text2image', prompt, seed: 1000 + index, device: 'wasm' }));
      const colours = shapeColour(result.image);
      found.push(`${prompt} → ${colours.shape} on ${colours.background}`);
      expect(colours.shape, found.join('; ')).toBe(colour);
      const metadata = extractGenerationMetadata(result.png);
      expect(metadata).toMatchObject({ prompt, seed: 1000 + index });
      if (index === 0) redCircle = result;
    }
    expect(await page.textContent('[data-testid=device]')).toMatch(/^WASM/);
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'text2image.png') });
  });

  it('keeps the page\'s main thread free while the worker generates (no long task over 50 ms)', async () => {
    await page.evaluate(() => ((window as unknown as { longTasks: number[] }).longTasks.length = 0));
    image(await generate(page, { mode: 'text2image', prompt: 'a yellow circle on a blue background', seed: 5 }));
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    console.log(`[web] long tasks on the main thread during text → image: ${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`);
    expect(longTasks.filter((duration) => duration > 50)).toEqual([]);
  });

  it('gives the same image as @kandinsky/node on the CPU for the same seed', async () => {
    const prompt = 'a purple square on a white background';
    const web = image(await generate(page, { mode: 'text2image', prompt, seed: 7, steps: 20 }));
    const node = await loadKandinsky3(tinyModelPath('kandinsky3-tiny'), { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const reference = (await node.textToImage({ prompt, seed: 7, steps: 20 })).images[0]!;
      const difference = compareImages(web.image, reference);
      console.log(`[web] WASM vs onnxruntime-node CPU, seed 7, 20 steps: ${difference.differing} of ${reference.data.length} bytes differ, max ${difference.max}, mean ${difference.mean.toFixed(4)}`);
      // Both runtimes run the same fp32 kernels; float summation order may differ in the last
      // bit, which rounding to uint8 hides almost everywhere.
      expect(difference.max).toBeLessThanOrEqual(2);
      expect(difference.differing).toBeLessThanOrEqual(reference.data.length / 100);
    } finally {
      await node.dispose();
    }
  });

  it('runs Flash in 4 steps with the prompt\'s colour', async () => {
    const result = image(await generate(page, { mode: 'flash', prompt: 'a blue circle on a white background', seed: 11 }));
    expect(shapeColour(result.image).shape).toBe('blue');
    expect(extractGenerationMetadata(result.png)).toMatchObject({ steps: 4 });
    blueCircle = result;
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'flash.png') });
  });

  it('samples with the chosen scheduler: Flash + LCM to the bytes of @kandinsky/node, UniPC with a config, bad choices as errors', async () => {
    const prompt = 'a green square on a white background';
    const lcm = image(await generate(page, { mode: 'flash', prompt, seed: 12, steps: 6, scheduler: 'lcm' }));
    expect(extractGenerationMetadata(lcm.png)).toMatchObject({ mode: 'flash', sampler: 'LCMScheduler', steps: 6 });
    expect(shapeColour(lcm.image).shape).toBe('green');
    const unipc = image(
      await generate(page, { mode: 'text2image', prompt, seed: 12, steps: 12, scheduler: 'unipc', schedulerConfig: '{"timestep_spacing":"leading"}' }),
    );
    expect(extractGenerationMetadata(unipc.png)).toMatchObject({ sampler: 'UniPCMultistepScheduler', steps: 12 });
    expect(shapeColour(unipc.image).shape).toBe('green');
    const node = await loadKandinsky3(tinyModelPath('kandinsky3-tiny'), { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const reference = (await node.flash({ prompt, seed: 12, steps: 6, scheduler: 'lcm' })).images[0]!;
      const difference = compareImages(lcm.image, reference);
      console.log(`[web] Flash + LCM 6 steps, WASM vs onnxruntime-node CPU: ${difference.differing} of ${reference.data.length} bytes differ, max ${difference.max}`);
      expect(difference.max).toBeLessThanOrEqual(2);
    } finally {
      await node.dispose();
    }
    const refused = await generate(page, { mode: 'flash', prompt, seed: 12, scheduler: 'euler' });
    expect(refused).toMatchObject({ error: expect.stringMatching(/^INVALID_ARGUMENT: .*"euler"/) });
    const badConfig = await generate(page, { mode: 'text2image', prompt, seed: 12, scheduler: 'unipc', schedulerConfig: '[1]' });
    expect(badConfig).toMatchObject({ error: expect.stringMatching(/^INVALID_ARGUMENT: Scheduler config must be a JSON object/) });
    // The page stays usable.
    image(await generate(page, { mode: 'flash', prompt, seed: 12 }));
  });

  it('runs image → image on an uploaded PNG, changing it more as strength grows', async () => {
    const source = join(OUTPUT_DIRECTORY, 'img2img-source.png');
    await writeFile(source, redCircle.png);
    await page.selectOption('[data-testid=mode]', 'img2img');
    await page.setInputFiles('[data-testid=image-input]', source);
    const distances: number[] = [];
    for (const strength of [0.3, 1]) {
      const result = image(await generate(page, { mode: 'img2img', prompt: 'a blue square on a black background', seed: 4, strength }));
      distances.push(compareImages(result.image, redCircle.image).mean);
    }
    expect(distances[0]).toBeLessThan(distances[1]!);
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'img2img.png') });
  });

  it('inpaints inside an uploaded mask in the prompt\'s colour and leaves far pixels alone', async () => {
    // The first scene of the Node inpainting test: a green square (centre 20,20, half side 10) on
    // white, masked by its box + 3 px, repainted red (seed 500).
    const source = new Uint8Array(64 * 64 * 3);
    const mask = new Uint8Array(64 * 64 * 3);
    const shape: number[] = [];
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const i = y * 64 + x;
        const inside = Math.abs(x + 0.5 - 20) <= 10 && Math.abs(y + 0.5 - 20) <= 10;
        if (inside) shape.push(i);
        source.set(inside ? [40, 180, 70] : [245, 245, 245], i * 3);
        if (x >= 7 && x < 7 + 27 && y >= 7 && y < 7 + 27) mask.set([255, 255, 255], i * 3);
      }
    }
    const sourcePath = join(OUTPUT_DIRECTORY, 'inpaint-source.png');
    const maskPath = join(OUTPUT_DIRECTORY, 'inpaint-mask.png');
    await writeFile(sourcePath, await sharp(source, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer());
    await writeFile(maskPath, await sharp(mask, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer());
    await page.selectOption('[data-testid=mode]', 'inpaint');
    await page.setInputFiles('[data-testid=image-input]', sourcePath);
    await page.setInputFiles('[data-testid=mask-input]', maskPath);
    const result = image(await generate(page, { mode: 'inpaint', prompt: 'a red square on a white background', seed: 500 }));
    const tally = new Map<string, number>();
    for (const i of shape) {
      const colour = shapeColour({ width: 1, height: 1, data: result.image.data.subarray(i * 3, i * 3 + 3) }).background;
      tally.set(colour, (tally.get(colour) ?? 0) + 1);
    }
    expect([...tally.entries()].sort((a, b) => b[1] - a[1])[0]![0]).toBe('red');
    // Far pixels: 9 px or more outside the mask box (7…33).
    let sum = 0;
    let count = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        if (x >= 7 - 8 && x < 34 + 8 && y >= 7 - 8 && y < 34 + 8) continue;
        for (let c = 0; c < 3; c++) sum += Math.abs(result.image.data[(y * 64 + x) * 3 + c]! - source[(y * 64 + x) * 3 + c]!);
        count += 3;
      }
    }
    console.log(`[web] inpainting far pixels |Δ| ${(sum / count).toFixed(2)} of 255`);
    expect(sum / count).toBeLessThanOrEqual(3);
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'inpaint.png') });
  });

  it('paints the inpainting mask with the brush and takes it back with the eraser', async () => {
    await page.selectOption('[data-testid=mode]', 'inpaint');
    await page.click('#clear-mask');
    const painted = () =>
      page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=mask-canvas]')!;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 127) count++;
        return count;
      });
    expect(await painted()).toBe(0);
    const box = (await page.locator('[data-testid=mask-canvas]').boundingBox())!;
    const stroke = async () => {
      await page.mouse.move(box.x + 40, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width - 40, box.y + box.height / 2, { steps: 20 });
      await page.mouse.up();
    };
    await stroke();
    const afterBrush = await painted();
    expect(afterBrush).toBeGreaterThan(100);
    await page.check('input[name=tool][value=eraser]');
    await stroke();
    expect(await painted()).toBeLessThan(afterBrush / 4);
    await page.check('input[name=tool][value=brush]');
  });

  it('runs variation and mixing on the IP-Adapter folder, to the bytes of @kandinsky/node', async () => {
    const red = join(OUTPUT_DIRECTORY, 'variation-red.png');
    const blue = join(OUTPUT_DIRECTORY, 'variation-blue.png');
    await writeFile(red, redCircle.png);
    await writeFile(blue, blueCircle.png);
    await page.selectOption('[data-testid=mode]', 'variation');
    await page.setInputFiles('[data-testid=image-input]', red);
    await page.setInputFiles('[data-testid=second-image-input]', []);
    const variation = image(await generate(page, { mode: 'variation', prompt: '', seed: 3, steps: 10 }));
    await page.setInputFiles('[data-testid=second-image-input]', blue);
    await page.fill('[data-testid=mix-weight]', '0.5');
    const mix = image(await generate(page, { mode: 'variation', prompt: '', seed: 3, steps: 10 }));
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'variation.png') });
    await page.setInputFiles('[data-testid=second-image-input]', []);
    const ip = await loadIpAdapter(tinyModelPath('kandinsky3-tiny-ip-adapter'), { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const expectedVariation = (await ip.variation({ image: redCircle.image, seed: 3, steps: 10 })).images[0]!;
      const expectedMix = (await ip.mix({ images: [redCircle.image, blueCircle.image], weights: [0.5, 0.5], seed: 3, steps: 10 })).images[0]!;
      const [dv, dm] = [compareImages(variation.image, expectedVariation), compareImages(mix.image, expectedMix)];
      console.log(`[web] IP-Adapter WASM vs Node CPU: variation max ${dv.max} (${dv.differing} bytes differ), mix max ${dm.max} (${dm.differing})`);
      expect(dv.max).toBeLessThanOrEqual(2);
      expect(dm.max).toBeLessThanOrEqual(2);
      // The mix is another image than the variation of the first source alone.
      expect(compareImages(mix.image, variation.image).mean).toBeGreaterThan(5);
    } finally {
      await ip.components.dispose();
    }
  });

  it('runs ControlNet on the edges of an uploaded image, shows the edge map, to the bytes of @kandinsky/node', async () => {
    const source = join(OUTPUT_DIRECTORY, 'controlnet-source.png');
    await writeFile(source, redCircle.png);
    await page.selectOption('[data-testid=mode]', 'controlnet');
    await page.setInputFiles('[data-testid=image-input]', source);
    const prompt = 'a green circle on a white background';
    const result = image(await generate(page, { mode: 'controlnet', prompt, seed: 5, steps: 10 }));
    // The edge map canvas now holds the hint: white edges on black, so not all one colour.
    const edgeStats = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid=edge-map]')!;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let bright = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! > 127) bright++;
      return { bright, pixels: data.length / 4 };
    });
    expect(edgeStats.bright).toBeGreaterThan(0);
    expect(edgeStats.bright).toBeLessThan(edgeStats.pixels / 2);
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'controlnet.png') });
    const controlnet = await loadControlNet(tinyModelPath('kandinsky3-tiny-controlnet-hed'), { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const expected = (await controlnet.generate({ image: redCircle.image, prompt, seed: 5, steps: 10 })).images[0]!;
      const difference = compareImages(result.image, expected);
      console.log(`[web] ControlNet WASM vs Node CPU: max ${difference.max} (${difference.differing} bytes differ)`);
      expect(difference.max).toBeLessThanOrEqual(2);
    } finally {
      await controlnet.components.dispose();
    }
    await page.selectOption('[data-testid=mode]', 'text2image');
  });

  it('cancels a run in the worker, and the next run works', async () => {
    await page.selectOption('[data-testid=mode]', 'text2image');
    await page.fill('[data-testid=steps]', '400');
    await page.click('[data-testid=generate]');
    await page.waitForFunction(() => /denoise (\d+)\//.test(document.querySelector('[data-testid=stage]')!.textContent ?? ''), null, { timeout: 60_000 });
    await page.click('[data-testid=cancel]');
    await page.waitForFunction(() => document.querySelector('[data-testid=stage]')!.textContent === 'cancelled', null, { timeout: 30_000 });
    const progress = await page.evaluate(() => Number(document.querySelector<HTMLProgressElement>('[data-testid=progress]')!.value));
    expect(progress).toBeLessThan(400);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    image(await generate(page, { mode: 'text2image', prompt: 'a red square on a white background', seed: 3, steps: 10 }));
  });

  it('shows a missing model folder as an error and stays usable', async () => {
    await page.fill('[data-testid=model-url]', '/models/no-such-model/');
    const failed = await generate(page, { mode: 'text2image', seed: 1, steps: 5 });
    expect('error' in failed && failed.error).toMatch(/MODEL_NOT_FOUND: .*no-such-model.*HTTP 404/);
    await page.fill('[data-testid=model-url]', '/models/kandinsky3-tiny/');
    image(await generate(page, { mode: 'text2image', seed: 1, steps: 5 }));
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
  });

  it('shows a file that is not an image as INVALID_IMAGE', async () => {
    const notAnImage = join(OUTPUT_DIRECTORY, 'not-an-image.png');
    await writeFile(notAnImage, 'this is text, not a PNG');
    await page.selectOption('[data-testid=mode]', 'img2img');
    await page.setInputFiles('[data-testid=image-input]', notAnImage);
    await page.waitForSelector('[data-testid=error]', { state: 'visible' });
    expect(await page.textContent('[data-testid=error]')).toMatch(/^INVALID_IMAGE: Cannot decode the image <23 bytes, image\/png>/);
    await page.selectOption('[data-testid=mode]', 'text2image');
  });

  it('serves a second page load from the cache, and re-fetches a corrupted cached file', async () => {
    await page.reload();
    requests.paths.length = 0;
    const first = image(await generate(page, { mode: 'text2image', prompt: 'a red circle on a white background', seed: 1, steps: 5, device: 'wasm' }));
    const fetched = requests.paths.filter((path) => MODEL_FILES.test(path));
    expect(fetched).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { kandinskyPlayground: { fromCache: number } }).kandinskyPlayground.fromCache)).toBeGreaterThan(0);

    // Truncate the cached UNet as a broken disk or an interrupted write would.
    const unet = new URL('/models/kandinsky3-tiny/unet/model.onnx', playground.url).href;
    await page.evaluate(async (url) => {
      const cache = await caches.open('kandinsky-models-v1');
      const stored = await cache.match(url);
      const bytes = new Uint8Array(await stored!.arrayBuffer());
      await cache.put(url, new Response(bytes.slice(0, 1000), { headers: stored!.headers }));
    }, unet);
    await page.reload();
    requests.paths.length = 0;
    const again = image(await generate(page, { mode: 'text2image', prompt: 'a red circle on a white background', seed: 1, steps: 5, device: 'wasm' }));
    expect(requests.paths.filter((path) => MODEL_FILES.test(path))).toEqual(['/models/kandinsky3-tiny/unet/model.onnx']);
    expect(compareImages(again.image, first.image).max).toBe(0);
    const repaired = await page.evaluate(async (url) => (await (await caches.open('kandinsky-models-v1')).match(url))!.arrayBuffer().then((b) => b.byteLength), unet);
    expect(repaired).toBeGreaterThan(1000);
  });

  it('loads onnxruntime-web\'s wasm from the app itself and nothing from outside', () => {
    expect(requests.external).toEqual([]);
  });

  it('runs WASM with threads on the cross-origin isolated page by default', async () => {
    const threaded = await context.newPage();
    try {
      await threaded.goto(playground.url);
      const options = { mode: 'text2image', prompt: 'a purple square on a white background', seed: 7, steps: 20, device: 'wasm' } as const;
      const result = image(await generate(threaded, options));
      expect(await threaded.textContent('[data-testid=device]')).toMatch(/^WASM, [2-4] threads$/);
      const single = image(await generate(page, options));
      const difference = compareImages(result.image, single.image);
      console.log(`[web] ${await threaded.textContent('[data-testid=device]')} vs 1 thread, seed 7, 20 steps: ${difference.differing} bytes differ, max ${difference.max}`);
      expect(difference.max).toBeLessThanOrEqual(2);
    } finally {
      await threaded.close();
    }
  });

  it('says so when WebGPU is asked for and the browser has none, and falls back to WASM on auto', async () => {
    const browser = await launchChromium({ webgpu: false });
    try {
      const other = await browser.newPage();
      await other.goto(`${playground.url}?threads=1`);
      const failed = await generate(other, { mode: 'flash', device: 'webgpu', seed: 1 });
      expect('error' in failed && failed.error).toMatch(/^DEVICE_UNAVAILABLE: WebGPU is not available in this browser/);
      image(await generate(other, { mode: 'flash', device: 'auto', seed: 1 }));
      expect(await other.textContent('[data-testid=device]')).toMatch(/^WASM/);
      expect(await other.isVisible('[data-testid=error]')).toBe(false);
    } finally {
      await browser.close();
    }
  });

  it('runs text → image on WebGPU (SwiftShader) to the WASM result', async () => {
    const options = { mode: 'text2image', prompt: 'a green circle on a white background', seed: 21, steps: 2 } as const;
    const wasm = image(await generate(page, { ...options, device: 'wasm' }));
    const webgpu = image(await generate(page, { ...options, device: 'webgpu', timeout: 240_000 }));
    expect(await page.textContent('[data-testid=device]')).toMatch(/^WebGPU/);
    const difference = compareImages(webgpu.image, wasm.image);
    console.log(`[web] WebGPU (SwiftShader) vs WASM, 2 steps: max ${difference.max}, mean ${difference.mean.toFixed(4)}`);
    expect(difference.max).toBeLessThanOrEqual(2);
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'text2image-webgpu.png') });
  }, 300_000);
});
