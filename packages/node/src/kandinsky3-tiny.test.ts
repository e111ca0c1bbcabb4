import { existsSync } from 'node:fs';
import type { Kandinsky3Pipeline } from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from './image-io.js';
import { loadKandinsky3 } from './load-kandinsky3.js';
import { shapeColour } from './test-support/shape-colour.js';

const MODEL = tinyModelPath('kandinsky3-tiny');
const available = existsSync(`${MODEL}/model_index.json`);

/** Held-out style prompts: colour, shape and background from the tiny world's vocabulary. */
const PROMPTS: [string, string][] = [
  ['a red circle on a white background', 'red'],
  ['a blue square on a yellow background', 'blue'],
  ['a green triangle on a black background', 'green'],
  ['a yellow circle on a blue background', 'yellow'],
  ['a purple square on a white background', 'purple'],
  ['a orange triangle on a green background', 'orange'],
  ['a white circle on a red background', 'white'],
  ['a black square on a orange background', 'black'],
  ['a red triangle on a blue background', 'red'],
  ['a blue circle on a white background', 'blue'],
];

describe.runIf(available)('Kandinsky 3 tiny model end to end (onnxruntime-node CPU)', () => {
  let pipeline: Kandinsky3Pipeline;
  beforeAll(async () => {
    pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
  });
  afterAll(async () => {
    await pipeline?.dispose();
  });

  it('draws the prompt colour with the original sampler and CFG (model-card bar: ≥ 90 %)', async () => {
    let right = 0;
    const wrong: string[] = [];
    for (const [index, [prompt, colour]] of PROMPTS.entries()) {
      const { images } = await pipeline.textToImage({ prompt, seed: 100 + index, steps: 50 });
      const found = shapeColour(images[0]!);
      if (found.shape === colour) right++;
      else wrong.push(`${prompt} → ${found.shape} on ${found.background}`);
    }
    expect(right / PROMPTS.length, wrong.join('; ')).toBeGreaterThanOrEqual(0.9);
  });

  it('draws the prompt colour with Flash in 4 steps (model-card bar: ≥ 90 %)', async () => {
    let right = 0;
    const wrong: string[] = [];
    for (const [index, [prompt, colour]] of PROMPTS.entries()) {
      const { images } = await pipeline.flash({ prompt, seed: 200 + index });
      const found = shapeColour(images[0]!);
      if (found.shape === colour) right++;
      else wrong.push(`${prompt} → ${found.shape} on ${found.background}`);
    }
    expect(right / PROMPTS.length, wrong.join('; ')).toBeGreaterThanOrEqual(0.9);
  });

  it('gives byte-identical PNGs for the same seed and different ones for another seed', async () => {
    const prompt = 'a green square on a white background';
    const [a, b, c] = await Promise.all([
      pipeline.textToImage({ prompt, seed: 7, steps: 20 }),
      pipeline.textToImage({ prompt, seed: 7, steps: 20 }),
      pipeline.textToImage({ prompt, seed: 8, steps: 20 }),
    ]);
    const [pa, pb, pc] = await Promise.all([a, b, c].map((result) => encodePng(result.images[0]!)));
    expect(Buffer.from(pa!).equals(Buffer.from(pb!))).toBe(true);
    expect(Buffer.from(pa!).equals(Buffer.from(pc!))).toBe(false);
  });

  it('keeps the source colour in image-to-image at low strength and follows the prompt at high strength', async () => {
    const { images } = await pipeline.textToImage({ prompt: 'a red circle on a white background', seed: 3, steps: 30 });
    const light = await pipeline.imageToImage({ prompt: 'a red circle on a white background', image: images[0]!, strength: 0.3, seed: 4 });
    expect(shapeColour(light.images[0]!).shape).toBe('red');
    const strong = await pipeline.imageToImage({ prompt: 'a blue circle on a white background', image: images[0]!, strength: 0.9, seed: 4 });
    expect(shapeColour(strong.images[0]!).shape).toBe('blue');
  });

  it('aborts in the middle with an AbortError, and the next call still works', async () => {
    const controller = new AbortController();
    const events: number[] = [];
    await expect(
      pipeline.textToImage({
        prompt: 'a red circle',
        seed: 1,
        steps: 50,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.type !== 'step') return;
          events.push(event.index);
          if (event.index === 9) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(events.at(-1)).toBe(9);
    const after = await pipeline.flash({ prompt: 'a red circle', seed: 1 });
    expect(after.images).toHaveLength(1);
  });
});

describe.skipIf(available)('Kandinsky 3 tiny model', () => {
  it('is missing', () => {
    throw new Error(`No tiny model at ${MODEL}: run tools/tiny-models (see its README).`);
  });
});
