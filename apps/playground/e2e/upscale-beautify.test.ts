import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Beautifier } from '@kandinsky/beautifier';
import { embedGenerationMetadata, extractGenerationMetadata, type RgbImage } from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import type { BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxCausalLM } from '../../../packages/node/src/load-causal-lm.js';
import { loadKandinsky3 } from '../../../packages/node/src/load-kandinsky3.js';
import { loadKandiSuperRes } from '../../../packages/node/src/load-kandisuperres.js';
import { shapeColour } from '../../../packages/node/src/test-support/shape-colour.js';
import { OUTPUT_DIRECTORY, compareImages, decodePng, generate, startPlayground, type Playground } from './playground-harness.js';

// Super-resolution and prompt beautification in the playground: the real stack (Vite, the worker,
// onnxruntime-web WASM, the tiny SR and LM folders over HTTP), checked against independent
// references: the committed PyTorch greedy answer of the LM, and the ground-truth image the
// low-resolution input was made from.

type Result = Awaited<ReturnType<typeof generate>>;
function image(result: Result): { png: Uint8Array; image: RgbImage } {
  if ('error' in result) throw new Error(`the page showed an error: ${result.error}`);
  return result;
}

/** PSNR in dB of two 8-bit images (peak 255). */
function psnr(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += (a.data[i]! - b.data[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.data.length));
}

/**
 * A scene of the tiny SR model's world (models/tiny/kandisuperres-x4/README.md): flat coloured
 * shapes, a disc and a square, 64×64, and its 4×4 box average (the world's `low_res`).
 */
function scene(): { truth: RgbImage; lowRes: RgbImage } {
  const size = 64;
  const truth = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inDisc = (x + 0.5 - 22) ** 2 + (y + 0.5 - 24) ** 2 <= 14 ** 2;
      const inSquare = Math.abs(x + 0.5 - 46) <= 9 && Math.abs(y + 0.5 - 44) <= 9;
      truth.set(inDisc ? [220, 30, 40] : inSquare ? [30, 60, 200] : [245, 240, 230], (y * size + x) * 3);
    }
  }
  const low = size / 4;
  const lowRes = new Uint8Array(low * low * 3);
  for (let y = 0; y < low; y++) {
    for (let x = 0; x < low; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) sum += truth[((4 * y + dy) * size + 4 * x + dx) * 3 + c]!;
        lowRes[(y * low + x) * 3 + c] = Math.round(sum / 16);
      }
    }
  }
  return { truth: { width: size, height: size, data: truth }, lowRes: { width: low, height: low, data: lowRes } };
}

const png = (image: RgbImage) => sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();

describe('playground super-resolution and beautify (onnxruntime-web WASM, worker)', () => {
  let playground: Playground;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    playground = await startPlayground();
    context = await playground.browser.newContext({ viewport: { width: 960, height: 1100 } });
    page = await context.newPage();
    // One WASM thread: the tests compare against onnxruntime-node with one thread.
    await page.goto(`${playground.url}?threads=1`);
  }, 60_000);

  afterAll(async () => {
    await playground?.close();
  });

  it('upscales ×4 on KandiSuperRes: 4× the size, closer to the ground truth than bicubic, to the bytes of @kandinsky/node', async () => {
    const { truth, lowRes } = scene();
    const source = join(OUTPUT_DIRECTORY, 'upscale-source.png');
    // The input carries a generation record, which the upscaled PNG must keep (as the CLI does).
    const record = { prompt: 'a red circle and a blue square', seed: 9, steps: 8, width: 16, height: 16, model: 'kandinsky3-tiny', sampler: 'Kandinsky3Sampler', mode: 'text-to-image', sdkVersion: 'test' };
    await writeFile(source, embedGenerationMetadata(new Uint8Array(await png(lowRes)), record));
    await page.selectOption('[data-testid=mode]', 'upscale');
    await page.setInputFiles('[data-testid=image-input]', source);
    const result = image(await generate(page, { mode: 'upscale', seed: 0, device: 'wasm' }));
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'upscale.png') });

    expect(await page.textContent('[data-testid=device]')).toMatch(/^WASM/);
    expect([result.image.width, result.image.height]).toEqual([lowRes.width * 4, lowRes.height * 4]);
    const bicubic = await decodePng(new Uint8Array(await sharp(lowRes.data, { raw: { width: 16, height: 16, channels: 3 } }).resize(64, 64, { kernel: 'cubic' }).png().toBuffer()));
    const [srPsnr, bicubicPsnr] = [psnr(result.image, truth), psnr(bicubic, truth)];
    const fromBicubic = compareImages(result.image, bicubic);
    console.log(
      `[web] upscale 16×16 → 64×64 on WASM: PSNR vs ground truth ${srPsnr.toFixed(2)} dB (bicubic ${bicubicPsnr.toFixed(2)} dB); mean |SR − bicubic| ${fromBicubic.mean.toFixed(2)} of 255`,
    );
    // The model card measures 28.96 dB against 25.62 dB for bicubic on such scenes.
    expect(srPsnr).toBeGreaterThan(bicubicPsnr);
    expect(srPsnr).toBeGreaterThan(22);
    // The upscale stays the input's picture: close to its bicubic enlargement on average.
    expect(fromBicubic.mean).toBeLessThan(12);

    const metadata = extractGenerationMetadata(result.png);
    expect(metadata).toMatchObject({ ...record, upscale: { model: 'kandisuperres-x4-tiny', scale: 4, steps: 5, seed: 0, width: 64, height: 64 } });

    const sr = await loadKandiSuperRes(tinyModelPath('kandisuperres-x4'), { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const expected = (await sr.upscale({ image: lowRes, seed: 0 })).image;
      const difference = compareImages(result.image, expected);
      console.log(`[web] upscale WASM vs Node CPU: max ${difference.max} (${difference.differing} bytes differ)`);
      expect(difference.max).toBeLessThanOrEqual(2);
    } finally {
      await sr.dispose();
    }
  });

  it('cancels an upscale in the worker mid-denoise, and the next upscale works', async () => {
    // The image input still holds the previous test's 16×16 source.
    await page.selectOption('[data-testid=mode]', 'upscale');
    await page.fill('[data-testid=steps]', '400');
    await page.click('[data-testid=generate]');
    await page.waitForFunction(() => /\d+\/400$/.test(document.querySelector('[data-testid=stage]')!.textContent ?? ''), null, { timeout: 60_000 });
    await page.click('[data-testid=cancel]');
    await page.waitForFunction(() => document.querySelector('[data-testid=stage]')!.textContent === 'cancelled', null, { timeout: 30_000 });
    const progress = await page.evaluate(() => Number(document.querySelector<HTMLProgressElement>('[data-testid=progress]')!.value));
    console.log(`[web] upscale cancelled after ${progress} of 400 steps`);
    expect(progress).toBeLessThan(400);
    expect(await page.isVisible('[data-testid=error]')).toBe(false);
    const again = image(await generate(page, { mode: 'upscale', seed: 0 }));
    expect([again.image.width, again.image.height]).toEqual([64, 64]);
  });

  it('beautifies the prompt with the LM in the worker: PyTorch\'s greedy answer, shown, drawn and in the PNG metadata', async () => {
    const reference = JSON.parse(await readFile(join(tinyModelPath('beautifier-lm'), 'reference/lm-greedy.json'), 'utf8')) as {
      generations: { user: string; generated_text: string }[];
    };
    const { user, generated_text: expanded } = reference.generations.find((entry) => entry.user === 'red circle')!;
    await page.selectOption('[data-testid=mode]', 'text2image');
    await page.check('[data-testid=beautify]');
    const result = image(await generate(page, { mode: 'text2image', prompt: user, seed: 3, steps: 8, device: 'wasm' }));
    await page.screenshot({ path: join(OUTPUT_DIRECTORY, 'beautify.png') });
    expect(await page.textContent('[data-testid=device]')).toMatch(/^WASM/);
    expect(await page.textContent('[data-testid=beautified-prompt]')).toBe(expanded);
    expect(extractGenerationMetadata(result.png)).toMatchObject({ prompt: expanded, userPrompt: user, promptSource: 'llm', mode: 'text-to-image', seed: 3 });
    expect(shapeColour(result.image).shape).toBe('red');

    // The drawn image is the expansion's: @kandinsky/node drawing `expanded` directly gives the
    // same bytes (up to the last-bit differences of the two runtimes), and the plain prompt does not.
    const node = await loadKandinsky3(tinyModelPath('kandinsky3-tiny'), { device: 'cpu', intraOperatorThreads: 1 });
    const lm = await loadOnnxCausalLM(tinyModelPath('beautifier-lm'), { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const direct = (await node.textToImage({ prompt: expanded, seed: 3, steps: 8 })).images[0]!;
      const plain = (await node.textToImage({ prompt: user, seed: 3, steps: 8 })).images[0]!;
      const viaNode = await node.textToImage({ prompt: user, seed: 3, steps: 8, beautify: new Beautifier({ llm: lm }) });
      expect(viaNode.parameters.prompt).toBe(expanded);
      const difference = compareImages(result.image, direct);
      console.log(`[web] beautified text → image WASM vs Node CPU (expanded prompt): max ${difference.max} (${difference.differing} bytes differ); vs the plain prompt: mean ${compareImages(result.image, plain).mean.toFixed(2)}`);
      expect(difference.max).toBeLessThanOrEqual(2);
      expect(compareImages(result.image, plain).mean).toBeGreaterThan(1);
    } finally {
      await node.dispose();
      await lm.dispose();
    }

    // Off again: the prompt is drawn as typed.
    await page.uncheck('[data-testid=beautify]');
    const plainRun = image(await generate(page, { mode: 'flash', prompt: user, seed: 3 }));
    expect(await page.textContent('[data-testid=beautified-prompt]')).toBe(user);
    expect(extractGenerationMetadata(plainRun.png)?.userPrompt).toBeUndefined();
  });
});
